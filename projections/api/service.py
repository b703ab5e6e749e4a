"""The read API's use cases: authorise, read, audit. Shared by the JSON API and the web pages,
so a page and an endpoint can never disagree about who sees what or what gets audited."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from projections.api import access
from projections.api.access import Filters, ReferralView, VisibleEntry
from projections.api.events import Recorder, View
from projections.api.model import (
    Alert,
    AuditEntry,
    AuditQuery,
    ChildAccess,
    ReadModel,
    ReferralState,
)
from projections.api.people import Person
from projections.reporting import indicators
from projections.reporting.indicators import Shown

INBOX_REASON: Final = "Operation Encompass notification in the recipient's inbox"
REFERRALS_REASON: Final = "Referral shared with the recipient"
MAX_REASON: Final = 500


class NotFound(Exception):
    """Not there, or not for this person: the same answer (404), so existence never leaks."""


class ReasonRequired(Exception):
    """A chronology read without a stated reason (400)."""


class BadMonth(Exception):
    """A report month that is not YYYY-MM (400)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferralsRead:
    shared: list[ReferralView]  # shared with the person: content, by child
    ours: list[ReferralState]  # made, received or allocated by the person's agencies


@dataclass(frozen=True, slots=True, kw_only=True)
class ChronologyRead:
    access: ChildAccess
    entries: list[VisibleEntry]


@dataclass(frozen=True, slots=True, kw_only=True)
class Hub:
    """The read side, the event writer and the clock: what every use case needs."""

    read_model: ReadModel
    recorder: Recorder
    clock: Callable[[], datetime]

    async def chronology(
        self,
        person: Person,
        child_id: str,
        *,
        filters: Filters,
        include_retracted: bool,
        printed: bool,
        reason: str | None,
        view: str,
        endpoint: str,
    ) -> ChronologyRead:
        """A child's chronology as this person may see it; one RecordViewed per answer."""
        facts = await self.read_model.child_access(child_id)
        if not access.may_read_child(person, facts):
            raise NotFound
        if include_retracted and not access.may_include_retracted(person):
            raise NotFound
        stated = (reason or "").strip()
        if not stated:
            raise ReasonRequired
        entries = await self.read_model.chronology(
            facts, include_retracted=include_retracted, printed=printed
        )
        visible = access.visible_chronology(person, facts, entries, filters)
        await self.recorder.viewed(
            person,
            facts,
            View(
                view=view,
                endpoint=endpoint,
                reason=stated[:MAX_REASON],
                include_retracted=include_retracted,
                items_shown=len(visible),
            ),
            at=self.clock(),
        )
        return ChronologyRead(access=facts, entries=visible)

    async def check_child(self, person: Person, child_id: str) -> None:
        """NotFound unless the person may read the child (before asking them for a reason)."""
        if not access.may_read_child(person, await self.read_model.child_access(child_id)):
            raise NotFound

    async def _audit_each_child(
        self, person: Person, children: dict[str, int], *, view: str, endpoint: str, reason: str
    ) -> None:
        for child_id, shown in children.items():
            facts = await self.read_model.child_access(child_id)
            record = View(view=view, endpoint=endpoint, reason=reason, items_shown=shown)
            await self.recorder.viewed(person, facts, record, at=self.clock())

    async def alerts(
        self, person: Person, organisations: frozenset[str], *, endpoint: str
    ) -> Sequence[Alert]:
        """An inbox of Encompass notifications; one RecordViewed per child shown."""
        if not organisations:
            raise NotFound
        found = await self.read_model.alerts(organisations)
        shown = [a for a in found if access.may_read_alert(person, a)]
        children: dict[str, int] = {}
        for a in shown:
            if a.child_id:
                children[a.child_id] = children.get(a.child_id, 0) + 1
        await self._audit_each_child(
            person, children, view="encompass_inbox", endpoint=endpoint, reason=INBOX_REASON
        )
        return shown

    async def school_alerts(self, person: Person, urn: str, *, endpoint: str) -> Sequence[Alert]:
        if not access.may_read_school_alerts(person, urn):
            raise NotFound
        return await self.alerts(person, frozenset({urn}), endpoint=endpoint)

    async def acknowledge(
        self, person: Person, alert_key: tuple[str, str] | None
    ) -> tuple[Alert, bool]:
        """Acknowledge a notification addressed to the person; (alert, newly sent)."""
        if alert_key is None:
            raise NotFound
        alert = await self.read_model.alert(*alert_key)
        if alert is None or not access.may_read_alert(person, alert):
            raise NotFound
        if alert.acknowledged_at is not None:
            return alert, False
        await self.recorder.acknowledge(person, alert, at=self.clock())
        return alert, True

    async def referrals(self, person: Person, *, endpoint: str) -> ReferralsRead:
        """Referrals shared with the person (audited per child), and the hub's state of those
        their organisation made, receives or is allocated (ids and timers only: no child)."""
        if not access.may_read_referrals(person):
            raise NotFound
        items = await self.read_model.referrals(person.recipient_ids)
        shared_ids = frozenset(
            str(i.content["referral_id"]) for i in items if i.content.get("referral_id")
        )
        states = await self.read_model.referral_states(access.agency_ids(person), shared_ids)
        views = access.referral_views(
            items, now=self.clock(), states={s.referral_id: s for s in states}
        )
        children: dict[str, int] = {}
        for v in views:
            if v.child_id:
                children[v.child_id] = children.get(v.child_id, 0) + 1
        await self._audit_each_child(
            person, children, view="referrals", endpoint=endpoint, reason=REFERRALS_REASON
        )
        ours = access.agency_ids(person)
        return ReferralsRead(
            shared=views,
            ours=[
                s
                for s in states
                if ours & {s.referrer_agency_id, s.receiving_agency_id, s.allocated_team_id}
            ],
        )

    async def report(self, person: Person, month: str) -> list[Shown]:
        """The partnership's indicators for a month: counts only, fewer than 5 shown as <5."""
        try:
            indicators.month_bounds(month)
        except ValueError as exc:
            raise BadMonth(str(exc)) from None
        return indicators.shown(month, await self.read_model.report_counts(month))

    async def audit(self, person: Person, query: AuditQuery) -> Sequence[AuditEntry]:
        if not access.may_read_audit(person):
            raise NotFound
        return await self.read_model.audit(query)

    async def access_notices(self, person: Person, *, limit: int = 200) -> Sequence[AuditEntry]:
        """Reads of the records of children the person's team is responsible for (CP / LAC).

        The notice names the child by hub id and the reader; it shows no part of the record,
        so reading it is not itself a read of a child's record.
        """
        if not access.may_read_access_notices(person):
            raise NotFound
        return await self.read_model.audit(AuditQuery(notify_team=person.team_id, limit=limit))

    async def accesses(self, person: Person, child_id: str) -> Sequence[AuditEntry]:
        """The last reads of a child's record, for a social worker who may read the child."""
        if person.role.value != "FRONT_DOOR_SOCIAL_WORKER":
            raise NotFound
        facts = await self.read_model.child_access(child_id)
        if not access.may_read_child(person, facts):
            raise NotFound
        return await self.read_model.audit(AuditQuery(child_id=child_id, limit=50))
