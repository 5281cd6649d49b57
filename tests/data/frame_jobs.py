"""Jobs for tests/data/test_frame_workers.py's worker processes, in a module of their own: a
spawned worker imports the module of each job it runs, and this one imports nothing heavy."""

from __future__ import annotations

import os
import time

import pandas as pd

Tables = dict[str, pd.DataFrame]


def exit_abruptly(tables: Tables, item: int) -> int:
    if item == 1:
        os._exit(3)  # as the kernel's OOM killer would end it: no exception, no cleanup
    return item


def refuse(tables: Tables, item: int) -> int:
    raise ValueError(f"item {item} refused with {len(tables)} tables held")


def pid_after_a_pause(tables: Tables, item: int) -> int:
    time.sleep(1.5)  # long enough for the other worker to take the next item
    return os.getpid()
