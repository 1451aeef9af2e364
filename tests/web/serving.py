"""A `kiemdiem serve` started in its own process, waited for until it answers."""

from __future__ import annotations

import subprocess
import time

import httpx


def wait_until_serving(process: subprocess.Popen[bytes], url: str, seconds: float) -> None:
    """Return once `url` answers; if the process ends or `seconds` pass first, fail with
    what it printed (its stdout must be a pipe)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            httpx.get(url + "/signin", timeout=2)
            return
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                out = process.stdout.read().decode() if process.stdout else ""
                raise RuntimeError(f"kiemdiem serve did not start:\n{out}") from None
            time.sleep(0.2)
