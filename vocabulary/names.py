"""The names of the process's things, from one place: levels, stages, states, kinds of unit,
organization levels, remediation statuses and people's roles, for the mail, the CLI, pages
and the workbook.

Each table maps the stored value (a `StrEnum` value of `models` or `states`) to an English
msgid; looking a name up translates it into the current language, so a table defined once at
import speaks whichever language the caller is in (`use_language`). Names are written as they
read inside a sentence ("tự kiểm điểm"); `capitalized` makes a table cell or heading of one.
Level names are titles and always start with a capital.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from vocabulary import N_, _


class Names(Mapping[str, str]):
    """Stored value -> its name in the current language; an unknown value names itself."""

    def __init__(self, msgids: dict[str, str]) -> None:
        self.msgids = msgids

    def __getitem__(self, key: str) -> str:
        return _(self.msgids[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self.msgids)

    def __len__(self) -> int:
        return len(self.msgids)

    def name(self, key: str | None) -> str:
        """The name of `key`, or `key` itself when it has none (never a KeyError)."""
        if key is None:
            return ""
        return self[key] if key in self.msgids else key


LEVELS = Names(
    {
        "excellent": N_("Excellently completed duties"),
        "good": N_("Well completed duties"),
        "completed": N_("Completed duties"),
        "not_completed": N_("Did not complete duties"),
    }
)
UNDECIDED = N_("Not yet classified")

STAGES = Names(
    {
        "self_review": N_("self-review"),
        "peer_review": N_("peer review"),
        "vote": N_("vote on the level"),
        "approval": N_("higher-level approval"),
        "re_review": N_("re-review"),
        "remediation": N_("remediation of shortcomings"),
    }
)

STATES = Names(
    {
        "plan_issued": N_("plan issued"),
        "self_review": N_("in self-review"),
        "peer_review": N_("in peer review"),
        "vote": N_("in the vote"),
        "approval": N_("awaiting the higher level's decision"),
        "published": N_("result published"),
        "remediation": N_("remedying shortcomings"),
        "closed": N_("closed"),
        "returned": N_("returned, in re-review"),
    }
)

# The moves of the units' state machine (states.machine), as a verb inside a sentence.
ACTIONS = Names(
    {
        "start": N_("start"),
        "suggest": N_("write review suggestions to"),
        "submit_self_review": N_("submit the self-review of"),
        "comment": N_("comment on"),
        "give_opinion": N_("give an opinion on"),
        "open_vote": N_("open the vote on"),
        "vote": N_("vote on"),
        "close_vote": N_("close the vote on"),
        "call_revote": N_("call a revote on"),
        "approve": N_("approve"),
        "return_for_review": N_("return for re-review"),
        "assign_shortcomings": N_("assign the shortcomings of"),
        "begin_remediation": N_("begin the remediation of"),
        "close": N_("close"),
        "finish_remediation": N_("finish the remediation of"),
    }
)

KINDS = Names(
    {
        "organization": N_("party organization"),
        "leadership": N_("leadership collective"),
        "member": N_("member"),
        "leader": N_("leader"),
    }
)

ORG_LEVELS = Names(
    {
        "province": N_("province"),
        "district": N_("district"),
        "grassroots": N_("grassroots"),
        "cell": N_("cell"),
    }
)

REMEDIATION_STATUSES = Names(
    {
        "open": N_("not remedied"),
        "in_progress": N_("being remedied"),
        "remedied": N_("remedied"),
        "overdue": N_("remediation overdue"),
        "recurred": N_("recurred"),
    }
)


# Where a cycle's mail stands (models.outbox's statuses), as the status and the artifacts count it.
MAIL_STATUSES = Names(
    {
        "sent": N_("sent"),
        "pending": N_("pending"),
        "failed": N_("failed"),
        "sending": N_("sending"),
    }
)


def counted(counts: Mapping[str, object], table: Names) -> str:
    """{"sent": 9, "pending": 3} as "đã gửi 9, đang chờ 3": each key by its name in `table`."""
    return ", ".join(f"{table.name(k)} {v}" for k, v in counts.items())


def capitalized(text: str) -> str:
    """`text` with a capital first letter, for a table cell or a heading."""
    return text[:1].upper() + text[1:]


ROLES = Names(
    {
        "member": N_("member"),
        "secretary": N_("cell secretary"),
        "committee": N_("committee member"),
        "inspection": N_("inspection commission"),
        "directing_team": N_("directing team"),
        "office": N_("organization office"),
    }
)

# The formalism signals of `states.insights` (for the committee to look at, not a verdict),
# as the CLI's table and the workbook's sheet name them.
SIGNALS = Names(
    {
        "copied_self_review": N_("Self-reviews copied from each other"),
        "copied_from_last_year": N_("Shortcomings and remedies copied from last year"),
        "uniform_levels": N_("A whole cell at one level"),
        "all_top_levels": N_("A cell all at the top levels, against the district"),
        "unanimous_top_votes": N_("Unanimous top votes across rounds"),
        "hollow_comments": N_("Comments that only praise, or none"),
    }
)


__all__ = [
    "ACTIONS",
    "KINDS",
    "LEVELS",
    "MAIL_STATUSES",
    "ORG_LEVELS",
    "REMEDIATION_STATUSES",
    "ROLES",
    "SIGNALS",
    "STAGES",
    "STATES",
    "UNDECIDED",
    "Names",
    "capitalized",
    "counted",
]
