"""Tables, sessions, settings, the clock, imports of the organization tree, and the plan."""

from models._types import UTCDateTime, utcnow
from models.clock import parse_instant, resolve_now
from models.cycle import (
    AuditEntry,
    Ballot,
    Comment,
    Cycle,
    Escalation,
    Level,
    Opinion,
    SealedRound,
    SelfReview,
    StageDeadline,
    Suggestion,
    Tally,
    Tick,
    Unit,
    UnitKind,
    VoterRoll,
)
from models.db import get_engine, init_db, session_scope
from models.errors import (
    ActionRefused,
    ConfigError,
    ImportRejected,
    InvalidMove,
    KiemdiemError,
    NotFound,
    PlanInvalid,
    RuleSetInvalid,
    StorageFailed,
)
from models.organization import Member, Organization, OrgLevel
from models.outbox import MailStatus, OutboxMessage
from models.remediation import RemediationNote, RemediationStatus, Shortcoming
from models.settings import Settings, load_settings

__all__ = [
    "Shortcoming",
    "RemediationStatus",
    "RemediationNote",
    "VoterRoll",
    "Tally",
    "SealedRound",
    "Suggestion",
    "Opinion",
    "ActionRefused",
    "AuditEntry",
    "Ballot",
    "Comment",
    "ConfigError",
    "Cycle",
    "Escalation",
    "ImportRejected",
    "InvalidMove",
    "KiemdiemError",
    "Level",
    "MailStatus",
    "Member",
    "NotFound",
    "OrgLevel",
    "Organization",
    "OutboxMessage",
    "PlanInvalid",
    "RuleSetInvalid",
    "SelfReview",
    "Settings",
    "StageDeadline",
    "StorageFailed",
    "Tick",
    "UTCDateTime",
    "Unit",
    "UnitKind",
    "get_engine",
    "init_db",
    "load_settings",
    "parse_instant",
    "resolve_now",
    "session_scope",
    "utcnow",
]
