"""Background work (the tick started from the command line) yields the CPU to the pages."""

from __future__ import annotations

import os


def yield_cpu(niceness: int) -> int:
    """Lower this process's scheduling priority by `niceness` (clamped to 0-19); the new
    niceness. On Linux it applies to the calling thread and to every thread and process
    started from it afterwards (Prefect's embedded API server, its worker threads), so call it
    before they start. It cannot be undone without privileges: only for processes that do
    nothing else, never in `kiemdiem serve`, whose pages would wait on a tick holding the GIL."""
    step = max(0, min(19, niceness))
    if step == 0 or not hasattr(os, "nice"):
        return os.nice(0) if hasattr(os, "nice") else 0
    return os.nice(step)


__all__ = ["yield_cpu"]
