"""The sharing decision: for one event, exactly one outcome per candidate recipient.

This is the only place that decides who sees what. It is pure: everything it needs is
passed in, including the agreement in force, whose version every outcome records.
``decide_shares`` decides an item against the agreement; ``follow_original`` decides a
correction or retraction, which reaches exactly those who received the entry it amends.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from streams.policy.agreement import Agreement, Rule
from streams.policy.consent import ChildStatus, ConsentState
from streams.policy.vocabulary import (
    DUTY_BASES,
    FOLLOWS_ORIGINAL,
    AgencyKind,
    Basis,
    EventType,
    Fallback,
    Level,
    Relationship,
    RestrictedCategory,
    Role,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ShareableEvent:
    """What the decision needs to know about an accepted event.

    `restricted_categories` are those the publisher flagged the item as a whole with;
    `content` holds the item's fields, of which only the agreement's allow-list leaves.
    """

    event_id: str
    event_type: EventType
    category: str | None
    source_agency: AgencyKind
    restricted_categories: frozenset[RestrictedCategory] = frozenset()
    content: Mapping[str, object]


@dataclass(frozen=True, slots=True, kw_only=True)
class CandidateRecipient:
    """Someone routing found connected to the child; the decision says what they get."""

    recipient_id: str
    role: Role
    organisation_id: str
    relationship: Relationship


@dataclass(frozen=True, slots=True, kw_only=True)
class Withholding:
    """A practitioner's decision that sharing would be more detrimental to the child.

    Applies to the recipients listed by id or holding a listed role; to everyone when neither
    `recipient_ids` nor `roles` is given. `decided_by` is a role, never a name.
    """

    reason: str
    decided_by: str
    recipient_ids: frozenset[str] | None = None
    roles: frozenset[Role] | None = None

    def covers(self, recipient: CandidateRecipient) -> bool:
        """Whether this withholding applies to the recipient."""
        if self.recipient_ids is None and self.roles is None:
            return True
        return recipient.recipient_id in (self.recipient_ids or ()) or recipient.role in (
            self.roles or ()
        )


class RefusalCode(StrEnum):
    """Why a recipient gets nothing."""

    NOT_IN_AGREEMENT = "NOT_IN_AGREEMENT"
    CONSENT_NOT_GIVEN = "CONSENT_NOT_GIVEN"
    CONSENT_WITHDRAWN = "CONSENT_WITHDRAWN"
    RESTRICTED_CATEGORY = "RESTRICTED_CATEGORY"
    WITHHELD = "WITHHELD"


@dataclass(frozen=True, slots=True, kw_only=True)
class Share:
    """Send `content` to the recipient at `level`, recorded under `basis`."""

    event_id: str
    recipient: CandidateRecipient
    level: Level
    basis: Basis
    consent_scope: str | None
    rule_number: int
    policy_version: str
    content: Mapping[str, object]


@dataclass(frozen=True, slots=True, kw_only=True)
class Refusal:
    """The recipient gets nothing; `code` for counting, `reason` for people."""

    event_id: str
    recipient: CandidateRecipient
    code: RefusalCode
    reason: str
    policy_version: str


@dataclass(frozen=True, slots=True, kw_only=True)
class NonDisclosure:
    """Withheld although the duty to share applied: recorded as NonDisclosureRecorded."""

    event_id: str
    recipient: CandidateRecipient
    level: Level  # what would have been shared, for the reviewer
    basis: Basis
    rule_number: int
    reason: str
    decided_by: str
    policy_version: str


ShareDecision = Share | Refusal | NonDisclosure


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    """What one recipient received of an entry: a correction or retraction follows it."""

    recipient: CandidateRecipient
    level: Level
    basis: Basis
    consent_scope: str | None
    rule_number: int

    @classmethod
    def of(cls, share: Share) -> Delivery:
        """The delivery a share made."""
        return cls(
            recipient=share.recipient,
            level=share.level,
            basis=share.basis,
            consent_scope=share.consent_scope,
            rule_number=share.rule_number,
        )


def decide_shares(
    event: ShareableEvent,
    consent: ConsentState,
    status: ChildStatus,
    recipients: Sequence[CandidateRecipient],
    agreement: Agreement,
    *,
    withholdings: Sequence[Withholding] = (),
) -> list[ShareDecision]:
    """One outcome per candidate recipient, in the order given."""
    rules = agreement.rules_for(event.event_type)
    return [
        _decide_one(event, consent, status, recipient, rules, agreement, withholdings)
        for recipient in recipients
    ]


def follow_original(
    event: ShareableEvent,
    delivered: Sequence[Delivery],
    consent: ConsentState,
    agreement: Agreement,
) -> list[ShareDecision]:
    """A correction or retraction: one outcome per recipient of the entry it amends.

    Each gets the amendment at the level, basis and rule it received the entry on (content:
    the agreement's field list for the amendment at that level). A recipient refused the entry
    is not a candidate: it gets nothing. If the entry went on consent that has since been
    withdrawn, the entry has left the recipient's view, so the amendment is refused.
    """
    if event.event_type not in FOLLOWS_ORIGINAL:
        raise ValueError(f"{event.event_type} is decided by the agreement, not by its original")
    decisions: list[ShareDecision] = []
    for d in delivered:
        if not visible_after_withdrawal(d.basis, consent, d.consent_scope):
            decisions.append(
                Refusal(
                    event_id=event.event_id,
                    recipient=d.recipient,
                    code=RefusalCode.CONSENT_WITHDRAWN,
                    reason=f"The entry it amends was shared with consent ({d.consent_scope}), "
                    "which was withdrawn.",
                    policy_version=agreement.version,
                )
            )
            continue
        decisions.append(
            Share(
                event_id=event.event_id,
                recipient=d.recipient,
                level=d.level,
                basis=d.basis,
                consent_scope=d.consent_scope,
                rule_number=d.rule_number,
                policy_version=agreement.version,
                content=redact(event, d.recipient.role, d.level, agreement),
            )
        )
    return decisions


def visible_after_withdrawal(
    share_basis: Basis, consent_state: ConsentState, consent_scope: str | None
) -> bool:
    """Whether a past share stays in the recipient's view under the current consent.

    Only consent-based shares depend on consent; one without a scope fails closed.
    """
    if share_basis is not Basis.CONSENT:
        return True
    return consent_scope is not None and consent_state.is_given(consent_scope)


def _preferred(rule: Rule) -> tuple[int, bool, int]:
    """Most detail first; at equal detail a basis that does not lapse at withdrawal; then the
    earlier rule, so the choice is deterministic."""
    return (-rule.level.rank, rule.basis is Basis.CONSENT, rule.number)


def _decide_one(
    event: ShareableEvent,
    consent: ConsentState,
    status: ChildStatus,
    recipient: CandidateRecipient,
    rules: Sequence[Rule],
    agreement: Agreement,
    withholdings: Sequence[Withholding],
) -> ShareDecision:
    def refuse(code: RefusalCode, reason: str) -> Refusal:
        return Refusal(
            event_id=event.event_id,
            recipient=recipient,
            code=code,
            reason=reason,
            policy_version=agreement.version,
        )

    matching = [r for r in rules if _matches(r, event, status, recipient)]
    if not matching:
        return refuse(
            RefusalCode.NOT_IN_AGREEMENT,
            f"No rule shares {event.event_type} from {event.source_agency} with "
            f"{recipient.role} ({recipient.relationship}) in the child's present situation.",
        )
    usable = [r for r in matching if r.consent_scope is None or consent.is_given(r.consent_scope)]
    if not usable:
        scopes = sorted({r.consent_scope for r in matching if r.consent_scope})
        withdrawn = any(consent.is_withdrawn(s) for s in scopes)
        return refuse(
            RefusalCode.CONSENT_WITHDRAWN if withdrawn else RefusalCode.CONSENT_NOT_GIVEN,
            f"Shared only with consent ({', '.join(scopes)}), which "
            f"{'was withdrawn' if withdrawn else 'has not been given'}.",
        )
    rule = min(usable, key=_preferred)

    existence_only = False
    for category in sorted(event.restricted_categories):
        access = agreement.restricted.get(category)
        if agreement.entitled(recipient.role, category):
            continue
        if access is None or access.not_entitled_get is Fallback.NOTHING:
            return refuse(
                RefusalCode.RESTRICTED_CATEGORY,
                f"The item is flagged {category}, which {recipient.role} is not entitled to see.",
            )
        existence_only = True

    def capped(level: Level) -> Level:
        return Level.EXISTENCE_ONLY if existence_only else level

    withholding = next((w for w in withholdings if w.covers(recipient)), None)
    if withholding is not None:
        # The duty rule the recipient would have had the item under: its level is recorded.
        duty = min((r for r in usable if r.basis in DUTY_BASES), key=_preferred, default=None)
        if duty is None:
            return refuse(RefusalCode.WITHHELD, f"Withheld: {withholding.reason}")
        return NonDisclosure(
            event_id=event.event_id,
            recipient=recipient,
            level=capped(duty.level),
            basis=duty.basis,
            rule_number=duty.number,
            reason=withholding.reason,
            decided_by=withholding.decided_by,
            policy_version=agreement.version,
        )

    level = capped(rule.level)
    return Share(
        event_id=event.event_id,
        recipient=recipient,
        level=level,
        basis=rule.basis,
        consent_scope=rule.consent_scope,
        rule_number=rule.number,
        policy_version=agreement.version,
        content=redact(event, recipient.role, level, agreement),
    )


def redact(
    event: ShareableEvent, role: Role, level: Level, agreement: Agreement
) -> Mapping[str, object]:
    """The content a role may receive at a level: the level's allow-list, less any field
    carrying a restricted category the role is not entitled to."""
    allowed = set(agreement.fields_for(event.event_type, level))
    for category, access in agreement.restricted.items():
        if not agreement.entitled(role, category):
            allowed -= access.fields
    return MappingProxyType({k: v for k, v in event.content.items() if k in allowed})


def _matches(
    rule: Rule, event: ShareableEvent, status: ChildStatus, recipient: CandidateRecipient
) -> bool:
    return (
        recipient.role in rule.roles
        and (rule.category is None or rule.category == event.category)
        and (rule.from_agencies is None or event.source_agency in rule.from_agencies)
        and (rule.relationships is None or recipient.relationship in rule.relationships)
        and (
            rule.only_when_child_is is None
            or any(status.satisfies(c) for c in rule.only_when_child_is)
        )
    )
