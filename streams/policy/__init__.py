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
    NonDisclosure,
    Refusal,
    RefusalCode,
    Share,
    ShareableEvent,
    ShareDecision,
    Withholding,
    decide_shares,
    redact,
    visible_after_withdrawal,
)
from streams.policy.records import consent_event, shareable_event, status_event

__all__ = [
    "Agreement",
    "CandidateRecipient",
    "ChildStatus",
    "ConsentState",
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
    "load_agreement",
    "load_default_agreement",
    "policy_adopted_event",
    "redact",
    "shareable_event",
    "status_event",
    "visible_after_withdrawal",
]
