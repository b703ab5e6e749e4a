"""Sharing policy and consent: who may see an item, at what level, on which lawful basis.

Pure domain code: no I/O apart from reading the agreement file.
"""

from streams.policy.agreement import (
    Agreement,
    PolicyError,
    RestrictedAccess,
    Rule,
    content_hash,
    load_agreement,
    load_default_agreement,
    policy_adopted_event,
)
from streams.policy.consent import ChildStatus, ConsentState, ScopeConsent, apply, fold
from streams.policy.decision import (
    CandidateRecipient,
    Delivery,
    NonDisclosure,
    Refusal,
    RefusalCode,
    Share,
    ShareableEvent,
    ShareDecision,
    Withholding,
    decide_shares,
    follow_original,
    redact,
    visible_after_withdrawal,
)
from streams.policy.records import (
    consent_event,
    follows_event_id,
    shareable_event,
    status_event,
    withholdings_of,
)

__all__ = [
    "Agreement",
    "CandidateRecipient",
    "ChildStatus",
    "ConsentState",
    "Delivery",
    "NonDisclosure",
    "PolicyError",
    "Refusal",
    "RefusalCode",
    "RestrictedAccess",
    "Rule",
    "ScopeConsent",
    "Share",
    "ShareDecision",
    "ShareableEvent",
    "Withholding",
    "apply",
    "consent_event",
    "content_hash",
    "decide_shares",
    "fold",
    "follow_original",
    "follows_event_id",
    "load_agreement",
    "load_default_agreement",
    "policy_adopted_event",
    "redact",
    "shareable_event",
    "status_event",
    "visible_after_withdrawal",
    "withholdings_of",
]
