"""Prefect flows: the only place that imports Prefect."""

from flows.deliver_outbox import deliver_mail
from flows.launch_cycle import launch_cycle, launch_here
from flows.review_cycle import review_cycle, tick_here

__all__ = ["deliver_mail", "launch_cycle", "launch_here", "review_cycle", "tick_here"]
