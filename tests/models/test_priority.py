"""Background work yields the CPU: what a thread of lower priority starts (a thread, a server
process) inherits its niceness, the rest of the process keeps its own, and 0 changes nothing.
Each case runs in a child interpreter: a niceness, once raised, cannot be lowered again by an
unprivileged process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CHILD = """
import os, subprocess, sys, threading
from models.priority import yield_cpu

start = os.nice(0)
seen = {}

def background():
    seen["thread"] = yield_cpu(int(sys.argv[1]))
    inner = threading.Thread(target=lambda: seen.setdefault("inner", os.nice(0)))
    inner.start(); inner.join()
    child = subprocess.run([sys.executable, "-c", "import os; print(os.nice(0))"],
                           capture_output=True, text=True, check=True)
    seen["child"] = int(child.stdout)

thread = threading.Thread(target=background)
thread.start(); thread.join()
print(start, seen["thread"], seen["inner"], seen["child"], os.nice(0))
"""
ROOT = Path(__file__).resolve().parents[2]


def _run(niceness: int) -> list[int]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(niceness)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return [int(v) for v in out.stdout.split()]


def test_what_a_yielding_thread_starts_inherits_it_and_the_rest_keeps_its_own() -> None:
    start, thread, inner, child, main = _run(7)
    assert thread == min(19, start + 7)
    assert inner == child == thread
    assert main == start


def test_zero_changes_nothing_and_too_much_is_clamped() -> None:
    start, thread, inner, child, main = _run(0)
    assert thread == inner == child == main == start
    start, thread, *_ = _run(50)
    assert thread == 19
