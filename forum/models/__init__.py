"""The data model, one module a domain; every table is importable from here.

``columns`` (aware UTC timestamps, enums as strings), ``people`` (schools, classes,
people, codes, tokens, sign-ins, consent), ``exchanges`` (exchanges and showcases, their
classes and decisions), ``alliance`` (MOUs, educator training), ``sessions`` (forum
sessions, live connections, seals, name reveals, reviews), ``log`` (the event log and
the room's state folded from it, the held-word lists), ``cases`` (the public gallery).

The modules name one another's classes by string in ``relationship`` and ``ForeignKey``
(and import them for type checking only), so none imports another at run time but
``columns``; importing this package maps them all.
"""

from __future__ import annotations

from .alliance import (
    Mou,
    MouStatus,
    TrainingEvent,
    TrainingKind,
    TrainingParticipant,
)
from .cases import (
    Case,
    CaseAction,
    CaseDecision,
    CaseExcerpt,
    CaseStatus,
    CaseText,
    case_sessions,
)
from .columns import (
    UTCDateTime,
    utcnow,
)
from .exchanges import (
    AllianceDecision,
    ClassPart,
    DecisionAction,
    Exchange,
    ExchangeDecision,
    ExchangeKind,
    ExchangeMode,
    ExchangeStatus,
    exchange_classes,
)
from .log import (
    BreakoutGroup,
    Event,
    Flag,
    HeldWord,
    Message,
    Note,
    NoteVote,
    Poll,
    PollVote,
    RoomMember,
)
from .people import (
    AccessCode,
    ApiToken,
    ConsentChange,
    LoginSession,
    Role,
    School,
    SchoolClass,
    SignInFailure,
    User,
    class_students,
    class_teachers,
)
from .sessions import (
    Connection,
    ForumSession,
    NameReveal,
    Review,
    ReviewState,
    Seal,
    Server,
    SessionStatus,
)

__all__ = [
    "AccessCode",
    "AllianceDecision",
    "ApiToken",
    "BreakoutGroup",
    "Case",
    "CaseAction",
    "CaseDecision",
    "CaseExcerpt",
    "CaseStatus",
    "CaseText",
    "ClassPart",
    "Connection",
    "ConsentChange",
    "DecisionAction",
    "Event",
    "Exchange",
    "ExchangeDecision",
    "ExchangeKind",
    "ExchangeMode",
    "ExchangeStatus",
    "Flag",
    "ForumSession",
    "HeldWord",
    "LoginSession",
    "Message",
    "Mou",
    "MouStatus",
    "NameReveal",
    "Note",
    "NoteVote",
    "Poll",
    "PollVote",
    "Review",
    "ReviewState",
    "Role",
    "RoomMember",
    "School",
    "SchoolClass",
    "Seal",
    "Server",
    "SessionStatus",
    "SignInFailure",
    "TrainingEvent",
    "TrainingKind",
    "TrainingParticipant",
    "UTCDateTime",
    "User",
    "case_sessions",
    "class_students",
    "class_teachers",
    "exchange_classes",
    "utcnow",
]
