"""The tick's process yields the CPU: its threads and child processes started afterwards
inherit the lower priority, and 0 leaves the priority alone. Each case runs in a child
interpreter: a niceness, once raised, cannot be lowered again by an unprivileged process."""

from __future__ import annotations

import os
import subprocess
import sys

CHILD = """
import os, subprocess, sys, threading
from models.priority import yield_cpu

start = os.nice(0)
now = yield_cpu(int(sys.argv[1]))
seen = []
thread = threading.Thread(target=lambda: seen.append(os.nice(0)))
thread.start(); thread.join()
child = subprocess.run([sys.executable, "-c", "import os; print(os.nice(0))"],
                       capture_output=True, text=True, check=True)
print(start, now, seen[0], child.stdout.strip())
"""


def _run(niceness: int) -> list[int]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(niceness)],
        capture_output=True,
        text=True,
        check=True,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
    )
    return [int(v) for v in out.stdout.split()]


def test_threads_and_processes_started_afterwards_inherit_the_lower_priority() -> None:
    start, now, thread, child = _run(7)
    assert now == min(19, start + 7)
    assert thread == now and child == now


def test_zero_leaves_the_priority_alone_and_too_much_is_clamped() -> None:
    start, now, thread, child = _run(0)
    assert now == start == thread == child
    start, now, _, _ = _run(50)
    assert now == 19
