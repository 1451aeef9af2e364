"""Prefect flows: the only place that imports Prefect."""

from flows.launch_cycle import launch_cycle
from flows.review_cycle import review_cycle

__all__ = ["launch_cycle", "review_cycle"]
