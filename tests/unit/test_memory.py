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


def test_one_heap_is_asked_for_on_glibc_unless_the_environment_chooses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(memory, "_is_glibc", lambda: True)
    assert memory.one_heap_environment({"PATH": "/bin"}) == {"PATH": "/bin", **memory.ONE_HEAP}
    assert memory.one_heap_environment({"MALLOC_ARENA_MAX": "4"}) is None  # the user's value
    monkeypatch.setattr(memory, "_is_glibc", lambda: False)
    assert memory.one_heap_environment({"PATH": "/bin"}) is None


@pytest.mark.parametrize(
    ("args", "keep", "restarts"),
    [
        (["nightly", "--as-of", "2026-01-01"], True, True),
        (["features", "--config", "{conf}"], True, True),
        (["features", "--config={conf}"], False, False),  # the settings keep nothing
        (["serve"], True, False),  # the review app never
        ([], True, False),
    ],
)
def test_a_batch_command_restarts_once_with_one_heap(
    args: list[str], keep: bool, restarts: bool, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hientai_app.cli as cli

    conf = tmp_path / "hientai.yaml"
    conf.write_text(f"data_dir: {tmp_path / 'data'}\nkeep_freed_memory: {str(keep).lower()}\n")
    monkeypatch.setenv("HIENTAI_CONFIG", str(conf))
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    monkeypatch.setattr(memory, "_is_glibc", lambda: True)
    started: list[tuple[str, list[str], dict[str, str]]] = []
    monkeypatch.setattr(cli.os, "execve", lambda *call: started.append(call))
    cli._restart_with_one_heap([a.format(conf=conf) for a in args])
    if not restarts:
        assert started == []
        return
    [(program, argv, environment)] = started
    assert program == sys.executable and argv == [sys.executable, *sys.orig_argv[1:]]
    assert environment["MALLOC_ARENA_MAX"] == "1"
    monkeypatch.setenv("MALLOC_ARENA_MAX", "1")  # the restarted process goes on
    cli._restart_with_one_heap([a.format(conf=conf) for a in args])
    assert len(started) == 1
