"""Background work (Prefect's embedded API beside the pages) yields the CPU to them."""

from __future__ import annotations

import os


def yield_cpu(niceness: int) -> int:
    """Lower this process's scheduling priority by `niceness` (clamped to 0-19); the new
    niceness. On Linux it applies to the calling thread and to every thread and process
    started from it afterwards (Prefect's embedded API server, its worker threads), so call it
    before they start. It cannot be undone without privileges: call it in a thread that
    only starts background work (kiemdiem.prefect_env.start_embedded_prefect_yielding), never
    in one that serves pages or holds the database's write lock."""
    step = max(0, min(19, niceness))
    if step == 0 or not hasattr(os, "nice"):
        return os.nice(0) if hasattr(os, "nice") else 0
    return os.nice(step)


__all__ = ["yield_cpu"]
