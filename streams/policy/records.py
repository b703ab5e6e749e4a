"""From decoded event records (dicts shaped by the Avro contracts) to the policy's inputs.

Kept here, not in the agent, so the agent stays thin: decode, call these, decide, send.
Only dictionary keys are used; nothing here imports the codec.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from streams.policy.consent import (
    ChildProtectionPlanEnded,
    ChildProtectionPlanStarted,
    ConsentEvent,
    ConsentGiven,
    ConsentWithdrawn,
    LookedAfterEnded,
    LookedAfterStarted,
    StatusEvent,
    SteppedDown,
    SteppedUp,
)
from streams.policy.decision import ShareableEvent, Withholding
from streams.policy.vocabulary import AgencyKind, EventType, RestrictedCategory, Role

# Keys that are about the record, not its content: never candidates for sharing. `withheld`
# is the publisher's instruction to the hub, with a reason meant for the audit log only.
_NOT_CONTENT = frozenset(
    {"event_id", "event_type", "subjects", "lawful_basis", "restricted_categories", "withheld"}
)
# The field naming the event an amendment follows.
_FOLLOWS_FIELD = {
    EventType.ENTRY_CORRECTED: "corrects_event_id",
    EventType.ENTRY_RETRACTED: "retracts_event_id",
}
# The field each event type's rules narrow by as its `category`.
_CATEGORY_FIELD = {
    EventType.REFERRAL_MADE: "destination",
    EventType.VISIT_RECORDED: "practitioner",
    EventType.CONCERN_RAISED: "category",
    EventType.CHILD_PROTECTION_PLAN_STARTED: "category",
}
_STATUS_TYPES = frozenset(
    {
        EventType.CHILD_PROTECTION_PLAN_STARTED,
        EventType.CHILD_PROTECTION_PLAN_ENDED,
        EventType.LOOKED_AFTER_STARTED,
        EventType.LOOKED_AFTER_ENDED,
        EventType.STEPPED_UP,
        EventType.STEPPED_DOWN,
    }
)
_SOCIAL_CARE_LEVEL = "SPECIALIST"  # need level 4: children's social care


def shareable_event(record: Mapping[str, object]) -> ShareableEvent:
    """The decision's view of a decoded record."""
    event_type = EventType(str(record["event_type"]))
    source = record["source"]
    if not isinstance(source, Mapping):
        raise ValueError("record has no source")
    category_field = _CATEGORY_FIELD.get(event_type)
    category = record.get(category_field) if category_field else None
    flagged = record.get("restricted_categories") or []
    if not isinstance(flagged, list):
        raise ValueError("restricted_categories must be a list")
    return ShareableEvent(
        event_id=str(record["event_id"]),
        event_type=event_type,
        category=None if category is None else str(category),
        source_agency=AgencyKind(str(source["agency_kind"])),
        restricted_categories=frozenset(RestrictedCategory(str(c)) for c in flagged),
        content={k: v for k, v in record.items() if k not in _NOT_CONTENT},
    )


def withholdings_of(record: Mapping[str, object]) -> tuple[Withholding, ...]:
    """The publisher's decision to withhold the item (the `withheld` field), if it made one.

    Both lists empty means withheld from every recipient.
    """
    withheld = record.get("withheld")
    if not isinstance(withheld, Mapping):
        return ()
    ids = frozenset(str(r) for r in withheld.get("from_recipients") or [])
    roles = frozenset(Role(str(r)) for r in withheld.get("from_roles") or [])
    return (
        Withholding(
            reason=str(withheld["reason"]),
            decided_by=str(withheld["decided_by_role"]),
            recipient_ids=ids or None,
            roles=roles or None,
        ),
    )


def follows_event_id(record: Mapping[str, object]) -> str | None:
    """The event a correction or retraction amends (its recipients are the amendment's)."""
    try:
        field = _FOLLOWS_FIELD.get(EventType(str(record.get("event_type"))))
    except ValueError:
        return None
    return None if field is None else str(record[field])


def consent_event(record: Mapping[str, object]) -> ConsentEvent | None:
    """The consent fold's event for a ConsentGiven / ConsentWithdrawn record, else None."""
    event_type = record.get("event_type")
    if event_type == EventType.CONSENT_GIVEN:
        return ConsentGiven(scope=str(record["scope"]), by=str(record["given_by"]), at=_at(record))
    if event_type == EventType.CONSENT_WITHDRAWN:
        return ConsentWithdrawn(
            scope=str(record["scope"]), by=str(record["withdrawn_by"]), at=_at(record)
        )
    return None


def status_event(record: Mapping[str, object]) -> StatusEvent | None:
    """The status fold's event for a social-care record, else None.

    Steps between early help levels (e.g. targeted to complex) do not touch social care,
    so only steps into or out of the specialist level count.
    """
    event_type = record.get("event_type")
    if event_type not in _STATUS_TYPES:
        return None
    at = _at(record)
    team = record.get("responsible_team_id")
    team_id = None if team is None else str(team)
    if event_type == EventType.CHILD_PROTECTION_PLAN_STARTED and team_id:
        return ChildProtectionPlanStarted(at=at, responsible_team=team_id)
    if event_type == EventType.CHILD_PROTECTION_PLAN_ENDED:
        return ChildProtectionPlanEnded(at=at)
    if event_type == EventType.LOOKED_AFTER_STARTED and team_id:
        return LookedAfterStarted(at=at, responsible_team=team_id)
    if event_type == EventType.LOOKED_AFTER_ENDED:
        return LookedAfterEnded(at=at)
    if event_type == EventType.STEPPED_UP and record.get("to_level") == _SOCIAL_CARE_LEVEL:
        return SteppedUp(at=at, responsible_team=team_id)
    if event_type == EventType.STEPPED_DOWN and record.get("from_level") == _SOCIAL_CARE_LEVEL:
        return SteppedDown(at=at)
    return None


def _at(record: Mapping[str, object]) -> datetime:
    at = record.get("occurred_at")
    if not isinstance(at, datetime):
        raise ValueError("occurred_at must be a decoded (timezone-aware) datetime")
    return at
