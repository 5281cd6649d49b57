"""hientai.memory: a batch process keeps the memory it frees (in a child process each, since
the setting lasts for the process's life)."""

from __future__ import annotations

import json
import platform
import subprocess
import sys

import pytest

from hientai import memory

# A child that frees a 256 MiB array and allocates one again: its resident memory after the
# free, and the page faults of the second array (65,536 pages of 4 KiB if the memory is new).
CHILD = """
import json, resource, sys
import numpy as np
from hientai import memory

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096

kept = memory.keep_freed_memory() if sys.argv[1] == "keep" else None
before = rss()
big = np.ones(2**25)
del big
after_free = rss()
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
again = np.ones(2**25)
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
print(json.dumps({"held": after_free - before, "faults": faults,
                  "kept": kept and [kept.heap, kept.numpy_small_pages]}))
"""

glibc_only = pytest.mark.skipif(
    platform.libc_ver()[0] != "glibc", reason="the C heap's half is glibc's"
)


def _child(mode: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, mode], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


@glibc_only
def test_freed_memory_stays_with_the_process_and_is_used_again():
    kept = _child("keep")
    assert kept["kept"] == [True, True]
    assert kept["held"] > 200 * 2**20  # the 256 MiB freed are still the process's
    assert kept["faults"] < 1_000  # the second array took them: no new pages


@glibc_only
def test_by_default_freed_memory_goes_back_to_the_system():
    default = _child("default")
    assert default["kept"] is None
    assert default["held"] < 50 * 2**20


def test_without_glibc_only_numpy_changes(monkeypatch):
    monkeypatch.setattr(platform, "libc_ver", lambda: ("", ""))
    assert memory._glibc_keeps() is False
