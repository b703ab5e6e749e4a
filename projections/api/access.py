"""Who may read what: pure rules over a person and a child's access facts.

A person sees only their organisation's view and only the children their role entitles them
to; the handlers answer everything else with 404, so a child's existence never leaks.
- A child is readable by a person when something about the child was shared with one of the
  person's inboxes (and not revoked), or an Encompass notification about the child went to
  one of the person's organisations.
- The DPO (the auditor) reads the audit log and, to investigate it, any child's chronology in
  the auditor's view (superseded and retracted versions too); nothing else.
- Within a readable chronology a partner sees only the entries shared with them, each at its
  level; an entry notified under Operation Encompass is seen at summary level by its recipient.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from projections.api.model import LEVELS, Alert, ChildAccess, ReferralState, SharedReferral
from projections.api.people import Person, Role
from streams.chronology import ChronologyEntry

LONDON: Final = ZoneInfo("Europe/London")
NOT_SHARED: Final = "Recorded; details not shared with your organisation."


def may_read_school_alerts(person: Person, urn: str) -> bool:
    """A school's inbox is its Key Adult's (the DSL of that school) and nobody else's."""
    return person.role is Role.SCHOOL_DSL and person.school_urn() == urn


def may_read_alert(person: Person, alert: Alert) -> bool:
    return alert.organisation_id is not None and alert.organisation_id in person.alert_organisations


def may_read_child(person: Person, access: ChildAccess) -> bool:
    """Whether the child exists for this person (False answers 404)."""
    if not access.record_ids:
        return False
    if person.is_auditor:
        return True
    if any(s.recipient_id in person.recipient_ids for s in access.shares):
        return True
    return any(org in person.alert_organisations for org in access.alerts)


def may_include_retracted(person: Person) -> bool:
    return person.is_auditor


def may_read_referrals(person: Person) -> bool:
    return not person.is_auditor and bool(person.recipient_ids)


def may_read_access_notices(person: Person) -> bool:
    """Social workers of a team: told of reads of their CP / looked-after children (as CP-IS)."""
    return person.role is Role.FRONT_DOOR_SOCIAL_WORKER and bool(person.team_id)


def may_read_audit(person: Person) -> bool:
    return person.is_auditor


def _rank(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else -1


def levels_for(person: Person, access: ChildAccess) -> dict[str, str]:
    """Source event id -> the highest level shared with any of the person's inboxes."""
    best: dict[str, str] = {}
    for s in access.shares:
        if s.recipient_id in person.recipient_ids and _rank(s.level) > _rank(
            best.get(s.source_event_id, "")
        ):
            best[s.source_event_id] = s.level
    return best


@dataclass(frozen=True, slots=True, kw_only=True)
class Filters:
    """The chronology's filters (inclusive dates, Europe/London days)."""

    since: date | None = None
    until: date | None = None
    category: str | None = None
    agency: str | None = None  # an agency id or an agency kind

    def keep(self, entry: ChronologyEntry) -> bool:
        day = entry.occurred_at.astimezone(LONDON).date()
        if self.since and day < self.since:
            return False
        if self.until and day > self.until:
            return False
        if self.category and entry.category.lower() != self.category.lower():
            return False
        agency = (self.agency or "").lower()
        return not agency or agency in (
            entry.source.agency_id.lower(),
            entry.source.agency_kind.lower(),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class VisibleEntry:
    """A chronology row as this person may see it."""

    entry: ChronologyEntry
    level: str  # FULL for the auditor


def _redact(entry: ChronologyEntry, level: str) -> ChronologyEntry:
    if level == "FULL":
        return entry
    if level == "SUMMARY":
        return dataclasses.replace(entry, impact_on_child="", action_taken="")
    return dataclasses.replace(entry, summary=NOT_SHARED, impact_on_child="", action_taken="")


def visible_chronology(
    person: Person, access: ChildAccess, entries: Iterable[ChronologyEntry], filters: Filters
) -> list[VisibleEntry]:
    """The entries this person may see, redacted to their level, filtered."""
    kept = [e for e in entries if filters.keep(e)]
    if person.is_auditor:
        return [VisibleEntry(entry=e, level="FULL") for e in kept]
    levels = levels_for(person, access)
    notified = {
        ref
        for org, refs in access.alerts.items()
        if org in person.alert_organisations
        for ref in refs
    }
    out: list[VisibleEntry] = []
    for e in kept:
        level = levels.get(e.entry_id) or levels.get(e.source_event_id)
        if level is None and e.police_reference and e.police_reference in notified:
            level = "SUMMARY"
        if level is not None:
            out.append(VisibleEntry(entry=_redact(e, level), level=level))
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferralView:
    """A referral shared with the person, its outcome if one was shared too, and its timer."""

    referral_id: str | None
    child_id: str | None
    made: SharedReferral | None
    outcome: SharedReferral | None
    due_by: datetime | None
    timer: str  # decided, open, overdue, outcome_received
    state: ReferralState | None = None  # the hub's own timers, when the referral is known


def agency_ids(person: Person) -> frozenset[str]:
    """The agency ids a person's organisation and team publish under (a school's is urn-URN)."""
    ids = {person.organisation_id}
    if person.team_id:
        ids.add(person.team_id)
    if person.organisation_id.startswith("school:"):
        ids.add("urn-" + person.organisation_id.removeprefix("school:"))
    return frozenset(ids)


def timer_of(state: ReferralState) -> str:
    """decided, overdue (a time limit passed with no answer) or open, by the hub's timers."""
    if state.outcome is not None:
        return "decided"
    return "overdue" if state.overdue_at is not None else "open"


def add_working_days(start: datetime, days: int) -> datetime:
    """``days`` working days (Monday to Friday; bank holidays not yet known here) after start."""
    current = start.astimezone(LONDON)
    added = 0
    while added < days:
        current = current + timedelta(days=1)
        if current.weekday() < 5:
            added += 1
    return current


def referral_views(
    items: Sequence[SharedReferral],
    *,
    now: datetime,
    states: Mapping[str, ReferralState] | None = None,
) -> list[ReferralView]:
    """Referrals and outcomes grouped by (child, referral id), timed by the hub's referral timers
    (working hours, bank holidays, RAG) where the referrals projection knows the referral, else
    by the front door's one working day from what was shared."""
    groups: dict[tuple[str | None, str | None], dict[str, SharedReferral]] = {}
    for item in items:
        ref = item.content.get("referral_id")
        key = (
            item.child_id or item.record_id,
            str(ref) if ref is not None else item.source_event_id,
        )
        groups.setdefault(key, {})[item.event_type] = item
    views = []
    for (child, ref), found in groups.items():
        made, outcome = found.get("ReferralMade"), found.get("ReferralOutcomeRecorded")
        due = add_working_days(made.occurred_at, 1) if made else None
        state = (states or {}).get(ref or "")
        if state is not None:
            timer = timer_of(state)
            due = state.overdue_deadline or due
        elif outcome is not None:
            timer = "decided" if made else "outcome_received"
        elif due is not None and now > due:
            timer = "overdue"
        else:
            timer = "open"
        views.append(
            ReferralView(
                referral_id=ref,
                child_id=child,
                made=made,
                outcome=outcome,
                due_by=due,
                timer=timer,
                state=state,
            )
        )
    return sorted(views, key=lambda v: (v.due_by or now, v.referral_id or ""))
