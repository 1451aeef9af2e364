"""Where each action is done: the path of its page, for mail and for the pages themselves.

Paths only (no host): mail prefixes `KIEMDIEM_BASE_URL` and a sign-in link at delivery.
Unit codes contain `:`, so they are percent-encoded.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import quote

# The page of each person's action (by the transition tables' trigger names).
_UNIT_PAGES = {
    "submit_self_review": "self-review",
    "suggest": "suggestions",
    "give_opinion": "opinions",
    "comment": "meeting",
    "open_vote": "meeting",
    "close_vote": "meeting",
    "call_revote": "meeting",
    "vote": "ballot",
}


# Codes are mostly letters, digits and ':' (M:A3): those are written as quote() would
# without it (a tick writes tens of thousands of links); anything else goes through it.
_PLAIN_CODE = re.compile(r"[A-Za-z0-9_.~:-]*")


def _seg(code: str) -> str:
    if _PLAIN_CODE.fullmatch(code):
        return code.replace(":", "%3A")
    return quote(code, safe="")


def my_tasks() -> str:
    return "/"


@lru_cache(maxsize=64)  # every page of a cycle starts with it: a tick asks tens of thousands
def cycle_page(cycle: str) -> str:
    return f"/cycles/{_seg(cycle)}"


def unit_page(cycle: str, unit: str) -> str:
    return f"{cycle_page(cycle)}/units/{_seg(unit)}"


def self_review(cycle: str, unit: str) -> str:
    return f"{unit_page(cycle, unit)}/self-review"


def approval(cycle: str, org: str) -> str:
    return f"{cycle_page(cycle)}/approval/{_seg(org)}"


def opinions(cycle: str) -> str:
    """Every opinion awaited in the cycle from the signed-in person."""
    return f"{cycle_page(cycle)}/opinions"


def suggestions(cycle: str, org: str) -> str:
    """The units whose levels `org` decides that the signed-in person may suggest to."""
    return f"{cycle_page(cycle)}/suggestions/{_seg(org)}"


def remediation(cycle: str) -> str:
    return f"{cycle_page(cycle)}/remediation"


def action_page(trigger: str, cycle: str, unit: str, *, approving_org: str | None = None) -> str:
    """The page where `trigger` is done to `unit`; approval is per approving committee."""
    if trigger in ("approve", "return_for_review"):
        return approval(cycle, approving_org) if approving_org else unit_page(cycle, unit)
    if trigger in ("assign_shortcomings", "report_remediation", "supervise"):
        return remediation(cycle)
    page = _UNIT_PAGES.get(trigger)
    return f"{unit_page(cycle, unit)}/{page}" if page else unit_page(cycle, unit)


# The action that clears each stage, for a mail about a unit overdue in it.
_STAGE_ACTION = {
    "self_review": "submit_self_review",
    "re_review": "submit_self_review",
    "peer_review": "comment",
    "vote": "close_vote",
    "approval": "approve",
    "remediation": "report_remediation",
}


def stage_page(stage: str, cycle: str, unit: str) -> str:
    """Where the work of `stage` is done for `unit`."""
    return action_page(_STAGE_ACTION.get(stage, ""), cycle, unit)


def one_or_tasks(pages: set[str]) -> str:
    """The one page a mail's units share, else Việc của tôi (which lists each)."""
    return next(iter(pages)) if len(pages) == 1 else my_tasks()


def url(base_url: str, path: str) -> str:
    """A page's full address in mail; delivery turns it into a sign-in link for the
    recipient (states.signin.personalize)."""
    return base_url.rstrip("/") + path


def signin(token: str) -> str:
    return f"/signin/{token}"


__all__ = [
    "action_page",
    "one_or_tasks",
    "stage_page",
    "url",
    "approval",
    "cycle_page",
    "my_tasks",
    "opinions",
    "remediation",
    "suggestions",
    "self_review",
    "signin",
    "unit_page",
]
