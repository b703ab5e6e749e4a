"""report_*: the facts the partnership's indicators are counted from (counts only, no content).

- report_facts (hub.log.accepted.v1): one row per EarlyHelpAssessmentStarted / Closed, SteppedUp
  and SteppedDown: when, which agency, the assessment / case id and a coded dimension (the
  assessment's primary need, the closure reason, or the level stepped to).
- report_subjects (hub.log.identity.v1): the child each subject of a ReferralMade or early help
  assessment event resolved to, from SubjectsResolved (re-referrals and "active early help
  assessment at referral" are joined on child ids at query time, so arrival order is moot).
- report_encompass (hub.log.encompass.v1): each notification's first issue (recipient, when
  the incident happened, delivered_at: issuing puts it in the recipient's inbox), its deadline
  as the latest revision has it, and its deadline being missed. Months count notifications by when the incident happened (the
  same for an original and its re-notifications), not by the hub's clock.
Referrals themselves are counted from the referrals projection's tables.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from projections.model import SourceRecord, decode_or_skip, framed_outside
from schemas import codec

FACT_TYPES = frozenset(
    {"EarlyHelpAssessmentStarted", "EarlyHelpAssessmentClosed", "SteppedUp", "SteppedDown"}
)
SUBJECT_SOURCES = frozenset(
    {"ReferralMade", "EarlyHelpAssessmentStarted", "EarlyHelpAssessmentClosed"}
)
# Every type `rows` reads; the others are skipped from their framing, undecoded.
REPORTED_TYPES = FACT_TYPES | {
    "SubjectsResolved",
    "EncompassNotificationIssued",
    "EncompassDeadlineMissed",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class FactRow:
    """A row of report_facts."""

    event_id: uuid.UUID
    event_type: str
    occurred_at: datetime
    agency_id: str
    agency_kind: str
    reference: str  # assessment_id or case_id
    dimension: str | None  # EHA primary need (None: not coded) / closure reason / level


@dataclass(frozen=True, slots=True, kw_only=True)
class SubjectRow:
    """A row of report_subjects: one child subject of a counted event."""

    event_id: uuid.UUID
    subject_index: int
    event_type: str
    child_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class NotificationRow:
    """A row of report_encompass; None: this event does not say."""

    police_reference: str
    record_id: str
    organisation_id: str | None = None
    incident_occurred_at: datetime | None = None
    issued_at: datetime | None = None
    deadline: datetime | None = None
    delivered_at: datetime | None = None
    deadline_missed_at: datetime | None = None


def _decode(record: SourceRecord) -> codec.Decoded:
    return decode_or_skip(record)


def rows(record: SourceRecord) -> Sequence[FactRow | SubjectRow | NotificationRow]:
    """The report facts one record carries (most records carry none)."""
    if framed_outside(record, REPORTED_TYPES):
        return ()
    decoded = _decode(record)
    e = decoded.record
    kind = decoded.event_type
    if kind in FACT_TYPES:
        if kind == "EarlyHelpAssessmentStarted":
            # Coded since v2; `reason` is the practitioner's free text (personal data, sealed
            # in the log) and never a reporting dimension. v1 records read as None.
            reference, dimension = e["assessment_id"], e.get("primary_need")
        elif kind == "EarlyHelpAssessmentClosed":
            reference, dimension = e["assessment_id"], e["closure_reason"]
        else:
            reference, dimension = e["case_id"], e["to_level"]
        return (
            FactRow(
                event_id=e["event_id"],
                event_type=kind,
                occurred_at=e["occurred_at"],
                agency_id=e["source"]["agency_id"],
                agency_kind=e["source"]["agency_kind"],
                reference=reference,
                dimension=dimension,
            ),
        )
    if kind == "SubjectsResolved" and e["source_event_type"] in SUBJECT_SOURCES:
        return tuple(
            SubjectRow(
                event_id=e["source_event_id"],
                subject_index=r["subject_index"],
                event_type=e["source_event_type"],
                child_id=r["child_id"],
            )
            for r in e["resolutions"]
        )
    if kind == "EncompassNotificationIssued" and e["revision"] == 1:
        return (
            NotificationRow(
                police_reference=e["police_reference"],
                record_id=e["record_id"],
                organisation_id=e["recipients"][0]["organisation_id"],
                incident_occurred_at=e["occurred_at"],
                issued_at=e["issued_at"],
                deadline=e["deadline"],
                delivered_at=e["delivered_at"],
            ),
        )
    if kind == "EncompassNotificationIssued":
        # A later revision can move the deadline (the original arrived after its
        # re-notification: the earliest recording counts). The log is keyed by police
        # reference, so revisions arrive in order and the last one written stands.
        return (
            NotificationRow(
                police_reference=e["police_reference"],
                record_id=e["record_id"],
                deadline=e["deadline"],
            ),
        )
    if kind == "EncompassDeadlineMissed":
        return (
            NotificationRow(
                police_reference=e["police_reference"],
                record_id=e["record_id"],
                deadline_missed_at=e["detected_at"],
            ),
        )
    return ()
