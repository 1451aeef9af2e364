"""What the pages show, as typed results read set-based from the rows: one module per page.

Nothing here writes except the few actions a page needs that the CLI has no command for
(`states.views.meeting.open_vote`, `record_comment`); every other write goes through the
stage modules of `states`.
"""

from states.views.approval_desk import ApprovalDesk, DeskUnit, GroupCap, approval_view
from states.views.asks import (
    OpinionAsk,
    SuggestionTarget,
    SuggestionView,
    opinions_to_give,
    suggestion_targets,
    suggestion_view,
)
from states.views.ballot import BallotView, ballot_view
from states.views.dashboard import Dashboard, HistoryEntry, dashboard, unit_history
from states.views.meeting import MeetingView, meeting_view, open_vote, record_comment
from states.views.remedy import RemediationItem, RemediationView, remediation_view

__all__ = [
    "ApprovalDesk",
    "BallotView",
    "Dashboard",
    "DeskUnit",
    "GroupCap",
    "HistoryEntry",
    "MeetingView",
    "OpinionAsk",
    "SuggestionTarget",
    "SuggestionView",
    "RemediationItem",
    "RemediationView",
    "approval_view",
    "ballot_view",
    "dashboard",
    "meeting_view",
    "open_vote",
    "opinions_to_give",
    "record_comment",
    "remediation_view",
    "suggestion_targets",
    "suggestion_view",
    "unit_history",
]
