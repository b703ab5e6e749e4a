"""Accepted records, as `schemas.codec.decode` reads them, turned into chronology events.

Which events are entries (DOMAIN.md, chronology practice: one entry per significant event, not
only adverse ones): every agency event about a child except `PersonRegistered` (it only tells the
hub who a child is) and the identity decisions (`PersonsLinked` / `PersonsUnlinked`, never on the
spine). So incidents, Encompass notifications, concerns, visits, referrals and their outcomes,
enrolments and leavers, consent decisions, early help start and close, child protection and
looked-after starts and ends, and steps up and down are all entries. `EntryCorrected` and
`EntryRetracted` are amendments of the entry they name; `EntryCurated` includes or excludes the
entry it names from the printed chronology.

The summary is built from the record's structured fields plus the free text the source gave as
its summary or circumstances, and nothing else: no names, dates of birth, addresses, where a child
was found or what a child said (those stay in the record and in the Encompass notification).
`impact_on_child` and `action_taken` are empty when the record does not say. The lawful basis is
the publisher's claimed basis (empty when it claims none). Incidents and Encompass notifications
carry their police reference, so a re-notification of the same incident revises the entry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from streams.chronology.model import (
    ChronologyEvent,
    EntryCorrected,
    EntryCurated,
    EntryRetracted,
    SignificantEventRecorded,
    Source,
)

Record = Mapping[str, Any]

# Not entries: who a child is (identity), not something that happened to the child.
NOT_ENTRIES: Final = frozenset(
    {
        "PersonRegistered",
        "PersonsLinked",
        "PersonsUnlinked",
        # Referral follow-ups name no child (the referral's ReferralMade/outcome are entries).
        "ReferralAcknowledged",
        "ReferralTriaged",
        "PitstopContributionAdded",
        "PitstopDecisionRecorded",
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Content:
    """What an entry says, apart from its envelope."""

    category: str
    summary: str
    impact_on_child: str = ""
    action_taken: str = ""
    police_reference: str | None = None


def _words(symbol: str) -> str:
    """An Avro enum symbol as lower-case words: NO_FURTHER_ACTION -> 'no further action'."""
    return symbol.replace("_", " ").lower()


def _sentence(*parts: str | None) -> str:
    return " ".join(p.strip() for p in parts if p and p.strip())


def _linked_child(record: Record, subject_index: int) -> Mapping[str, Any] | None:
    for child in record.get("children") or ():
        if child["subject_index"] == subject_index:
            found: Mapping[str, Any] = child
            return found
    return None


def _incident(record: Record, subject_index: int) -> Content:
    child = _linked_child(record, subject_index)
    impact = ""
    if child is not None:
        present = "Child present." if child["present"] else "Child not present."
        spoken = "Spoken to by an officer." if child["spoken_to"] else "Not spoken to."
        impact = f"{present} {spoken}"
    kind = "domestic abuse incident" if record["domestic_abuse"] else "police incident"
    return Content(
        category=kind,
        summary=_sentence(
            f"Police {kind}, risk {_words(record['risk_level'])}.", record["circumstances"]
        ),
        impact_on_child=impact,
        police_reference=record["police_reference"],
    )


def _encompass(record: Record, _: int) -> Content:
    present = "Child present." if record["present"] else "Child not present."
    spoken = "Spoken to by an officer." if record["spoken_to"] else "Not spoken to."
    return Content(
        category="domestic abuse incident",
        summary=_sentence("Operation Encompass notification.", record["circumstances"]),
        impact_on_child=f"{present} {spoken}",
        action_taken="Police asked for the school to be notified.",
        police_reference=record["police_reference"],
    )


def _referral(record: Record, _: int) -> Content:
    to = _words(record["destination"])
    if record.get("service_name"):
        to = f"{to} ({record['service_name']})"
    risk = (
        f" Referrer's view of risk: {_words(record['risk_level'])}." if record["risk_level"] else ""
    )
    return Content(
        category="referral",
        summary=_sentence(
            f"Referral to {to}, need: {record['category']}.{risk}", record["summary"]
        ),
        action_taken=f"Referred to {to}.",
    )


def _outcome(record: Record, _: int) -> Content:
    passed = record.get("passed_to_agency_id")
    return Content(
        category="referral outcome",
        summary=_sentence(
            f"Referral outcome: {_words(record['outcome'])}.",
            f"Passed to {passed}." if passed else None,
            record.get("reason"),
        ),
        action_taken=_words(record["outcome"]).capitalize() + ".",
    )


def _concern(record: Record, _: int) -> Content:
    return Content(
        category="concern",
        summary=_sentence(f"Concern ({record['category']}):", record["summary"]),
        action_taken=record["action_taken"],
    )


def _visit(record: Record, _: int) -> Content:
    flagged = " Safeguarding concern recorded." if record["concerns"] else ""
    return Content(
        category="health contact",
        summary=_sentence(f"{_words(record['practitioner']).capitalize()} contact.{flagged}",
                          record["summary"]),
    )  # fmt: skip


def _enrolled(record: Record, _: int) -> Content:
    where = record.get("school_urn") or "elective home education"
    return Content(
        category="enrolment",
        summary=f"Enrolled ({_words(record['setting_kind'])}, {where}) from {record['start_date']}.",
    )


def _left(record: Record, _: int) -> Content:
    where = record.get("school_urn") or "elective home education"
    to = f" Moving to {record['destination_urn']}." if record.get("destination_urn") else ""
    return Content(
        category="left setting",
        summary=_sentence(f"Left {where} on {record['leave_date']}.{to}", record.get("reason")),
    )


def _consent(given: bool) -> Callable[[Record, int], Content]:
    def content(record: Record, _: int) -> Content:
        if given:
            return Content(
                category="consent given",
                summary=f"Consent given ({_words(record['scope'])}) by {record['given_by']}.",
            )
        return Content(
            category="consent withdrawn",
            summary=_sentence(
                f"Consent withdrawn ({_words(record['scope'])}) by {record['withdrawn_by']}.",
                record.get("reason"),
            ),
        )

    return content


def _early_help_started(record: Record, _: int) -> Content:
    return Content(
        category="early help",
        summary=_sentence("Early help assessment started.", record["reason"]),
        action_taken=f"Lead agency {record['lead_agency_id']}.",
    )


def _early_help_closed(record: Record, _: int) -> Content:
    return Content(
        category="early help",
        summary=_sentence(
            f"Early help closed: {_words(record['closure_reason'])}.", record.get("closure_summary")
        ),
    )


def _social_care(label: str, detail: Callable[[Record], str]) -> Callable[[Record, int], Content]:
    def content(record: Record, _: int) -> Content:
        return Content(
            category="social care",
            summary=_sentence(f"{label}.", detail(record)),
            action_taken=f"Team {record['responsible_team_id']}.",
        )

    return content


def _step(direction: str) -> Callable[[Record, int], Content]:
    def content(record: Record, _: int) -> Content:
        return Content(
            category="step " + direction,
            summary=_sentence(
                f"Stepped {direction} from {_words(record['from_level'])} "
                f"to {_words(record['to_level'])}.",
                record["rationale"],
            ),
        )

    return content


_CONTENT: Final[Mapping[str, Callable[[Record, int], Content]]] = {
    "IncidentRecorded": _incident,
    "EncompassNotificationRequested": _encompass,
    "ReferralMade": _referral,
    "ReferralOutcomeRecorded": _outcome,
    "ConcernRaised": _concern,
    "VisitRecorded": _visit,
    "PupilEnrolled": _enrolled,
    "PupilLeft": _left,
    "ConsentGiven": _consent(given=True),
    "ConsentWithdrawn": _consent(given=False),
    "EarlyHelpAssessmentStarted": _early_help_started,
    "EarlyHelpAssessmentClosed": _early_help_closed,
    "ChildProtectionPlanStarted": _social_care(
        "Child protection plan started", lambda r: f"Category: {_words(r['category'])}."
    ),
    "ChildProtectionPlanEnded": _social_care("Child protection plan ended", lambda r: r["reason"]),
    "LookedAfterStarted": _social_care("Looked after", lambda r: f"Legal status: {r['legal_status']}."),
    "LookedAfterEnded": _social_care("Looked after ended", lambda r: r["reason"]),
    "SteppedUp": _step("up"),
    "SteppedDown": _step("down"),
}  # fmt: skip

AMENDMENTS: Final = frozenset({"EntryCorrected", "EntryRetracted", "EntryCurated"})
ENTRY_TYPES: Final = frozenset(_CONTENT)


def source_of(record: Record, practitioner_id: str | None = None) -> Source:
    """The publisher as the chronology names it (a role, and who for amendments)."""
    source = record["source"]
    return Source(
        agency_id=source["agency_id"],
        agency_kind=source["agency_kind"],
        practitioner_role=source.get("practitioner_role"),
        practitioner_id=practitioner_id,
    )


def content_of(event_type: str, record: Record, subject_index: int) -> Content | None:
    """An entry's content for the child at `subject_index`, or None if not an entry type."""
    build = _CONTENT.get(event_type)
    return None if build is None else build(record, subject_index)


def to_chronology_event(
    event_type: str, record: Record, *, record_id: str, subject_index: int
) -> ChronologyEvent | None:
    """The chronology event an accepted record makes for one child record; None if not one."""
    event_id = str(record["event_id"])
    records = frozenset({record_id})
    if event_type == "EntryCorrected":
        return EntryCorrected(
            event_id=event_id,
            record_ids=records,
            entry_id=str(record["corrects_event_id"]),
            recorded_at=record["recorded_at"],
            corrected_by=source_of(record, record["corrected_by"]),
            reason=record["reason"],
            # The schema carries the corrected account only; other fields keep their values.
            summary=record["correction_summary"],
        )
    if event_type == "EntryRetracted":
        return EntryRetracted(
            event_id=event_id,
            record_ids=records,
            entry_id=str(record["retracts_event_id"]),
            recorded_at=record["recorded_at"],
            retracted_by=source_of(record, record["retracted_by"]),
            reason=record["reason"],
        )
    if event_type == "EntryCurated":
        return EntryCurated(
            event_id=event_id,
            record_ids=records,
            entry_id=str(record["curates_event_id"]),
            include=bool(record["included"]),
            recorded_at=record["recorded_at"],
            curated_by=source_of(record, record["curated_by_role"]),
        )
    content = content_of(event_type, record, subject_index)
    if content is None:
        return None
    return SignificantEventRecorded(
        event_id=event_id,
        record_ids=records,
        occurred_at=record["occurred_at"],
        recorded_at=record["recorded_at"],
        source=source_of(record),
        category=content.category,
        summary=content.summary,
        impact_on_child=content.impact_on_child,
        action_taken=content.action_taken,
        lawful_basis=record.get("lawful_basis") or "",
        police_reference=content.police_reference,
    )
