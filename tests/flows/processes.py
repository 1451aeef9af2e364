"""Running Prefect's own programs for the multi-machine tests: a server, workers, the CLI, each
in a process group of its own with Prefect's and kiemdiem's settings given, not inherited (the
processes themselves as `bench/_processes.py` starts them for the many-cycles benchmark)."""

from __future__ import annotations

import subprocess

from bench._processes import PREFECT, REPO
from bench._processes import prefect_env as _env
from bench._processes import start as _start
from bench._processes import stop as _stop

__all__ = ["PREFECT", "REPO", "_env", "_prefect", "_start", "_stop"]


def _prefect(args: list[str], env: dict[str, str], timeout: float = 180) -> str:
    done = subprocess.run(
        [PREFECT, *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout
