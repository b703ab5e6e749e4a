"""Thin agents for referrals: routing, the closed loop and overdue time limits.

- ``referrals-accepted`` (hub.log.accepted.v1): ReferralMade, ReferralOutcomeRecorded,
  ReferralAcknowledged, ReferralTriaged and PitstopDecisionRecorded are repartitioned by
  referral_id onto ``<app id>-referrals-by-id`` (origin headers carried for dead letters). A
  ReferralMade naming no child never reaches the spine, so it is routed here, as named.
- ``referrals-spine`` (the spine, keyed by record id): child protection plans, looked-after
  periods and step-ups / step-downs fold into ``referral-open-cases`` (record id ->
  streams.referrals.cases.RecordCases: the record's openings and closings with their times,
  and the referrals about it); each ReferralMade is routed per child by streams.referrals.rules,
  the allocated team told when the child was open to social care when the referral was made
  (as of its occurred_at, from everything known of the record, not from arrival order). A
  change arriving after a referral it concerns re-routes it. Each ReferralRouted goes to the
  by-id topic.
- ``referrals-fold`` (the by-id topic): everything folds into ``referrals`` (referral id ->
  ids, times and statuses, never content). The referral's route is a function of its records'
  latest routings (streams.referrals.state.effective_route); each time it changes, a
  ReferralRouted saying the referral's route is published to hub.log.referrals.v1 (so the last
  one published is the route, whichever record's routing arrived first). A timer's
  ReferralOverdue folded for the first time is published too; every outcome, once the referral
  is known, goes back to the referrer as ReferralOutcomeReturned (the closed loop), whichever
  arrived first.
- metrics (streams.metrics): referrals routed by destination and reason, overdue by timer and
  destination, outcomes returned by destination and outcome; labels are enums, never ids.
- a timer every HUB_REFERRAL_TIMER_SECONDS sweeps the table with `now` from an OffsetClock
  (tests move it through ``<HUB_STATE_DIR>/clock_offset_seconds``) and sends what is overdue to
  the by-id topic: tables are only written while processing a stream, and a timer may fire
  twice before its first event folds back.

A plan started after the referral was made never re-routes it. Outputs are sent before the
table is written, so a crash between the two re-derives the same events (same ids) on
redelivery.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Final

import faust

from schemas import codec, topics
from streams import metrics, spine
from streams.agents.dead_letters import SOURCE_KEY_HEADER, DeadLetters, origin_headers
from streams.clock import Clock, OffsetClock, offset_file
from streams.referrals import cases, wire
from streams.referrals import state as referral
from streams.referrals.cases import CaseChange, RecordCases
from streams.referrals.rules import DEFAULT_RULES, Rag, Rules, load_rules, route
from streams.referrals.state import ReferralState, Rejected, TimerKind

log = logging.getLogger(__name__)

RULES_FILE_ENV: Final = "HUB_REFERRAL_RULES"
TIMER_ENV: Final = "HUB_REFERRAL_TIMER_SECONDS"
# Spine events that open or close a child's social care involvement (and which slot).
_OPENS: Final = {
    "ChildProtectionPlanStarted": "cp",
    "LookedAfterStarted": "lac",
    "SteppedUp": "case",
}
_CLOSES: Final = {
    "ChildProtectionPlanEnded": "cp",
    "LookedAfterEnded": "lac",
    "SteppedDown": "case",
}


def by_id_topic(app_id: str) -> str:
    """Referral events and the timer's overdue events, repartitioned by referral id."""
    return f"{app_id}-referrals-by-id"


def _forward_headers(event: Any) -> list[tuple[str, bytes]]:
    key = event.key if isinstance(event.key, bytes) else b""
    return [*origin_headers(event), (SOURCE_KEY_HEADER, key)]


def register(app: faust.App, *, clock: Clock | None = None, rules: Rules | None = None) -> None:
    """Declare the referral stage's topics, tables, agents and timer on the app."""
    app_id = str(app.conf.id)
    state_dir = Path(os.environ.get("HUB_STATE_DIR", ".state"))
    explicit = os.environ.get(RULES_FILE_ENV)
    config = rules or load_rules(Path(explicit) if explicit else DEFAULT_RULES)
    clock = clock or OffsetClock(offset_file=offset_file(state_dir))
    accepted = app.topic(topics.ACCEPTED, key_serializer="raw", value_serializer="raw")
    by_child = app.topic(
        spine.by_child_topic(app_id),
        internal=True,
        partitions=spine.BY_CHILD_PARTITIONS,
        config={"retention.ms": str(topics.FOREVER)},
        key_serializer="raw",
        value_serializer="raw",
    )
    by_id = app.topic(
        by_id_topic(app_id),
        internal=True,
        partitions=topics.LOG_PARTITIONS,
        config={"retention.ms": str(topics.FOREVER)},
        key_serializer="raw",
        value_serializer="raw",
    )
    referrals_log = app.topic(topics.REFERRALS, key_serializer="raw", value_serializer="raw")
    dead_letters = DeadLetters(app)
    open_cases = app.Table(
        "referral-open-cases",
        partitions=spine.BY_CHILD_PARTITIONS,
        key_type=str,
        value_type=str,
    )
    table = app.Table("referrals", partitions=topics.LOG_PARTITIONS, key_type=str, value_type=str)

    async def to_by_id(referral_id: str, value: bytes, headers: list[tuple[str, bytes]]) -> None:
        await by_id.send(key=referral_id.encode(), value=value, headers=headers)

    async def publish(referral_id: str, event_type: str, record: dict[str, Any]) -> None:
        await referrals_log.send(key=referral_id.encode(), value=codec.encode(event_type, record))

    async def on_accepted(event: Any) -> None:
        decoded = codec.decode(event.value)
        if decoded.event_type not in wire.FOLDED:
            return
        record = decoded.record
        referral_id = str(record["referral_id"])
        await to_by_id(referral_id, event.value, _forward_headers(event))
        if decoded.event_type == wire.MADE and not wire.names_a_child(record):
            event_type, routed = wire.routed_record(
                record, route(wire.facts_of(record), config), record_id=None
            )
            await to_by_id(referral_id, codec.encode(event_type, routed), _forward_headers(event))

    async def send_routing(held: cases.Held, record_id: str, event: Any) -> None:
        made = wire.made_of(held.made)
        decided = route(wire.facts_of(made), config, allocated_team_id=held.team)
        event_type, routed = wire.routed_record(
            made, decided, record_id=record_id, trigger_event_id=held.trigger
        )
        await to_by_id(
            str(made["referral_id"]), codec.encode(event_type, routed), _forward_headers(event)
        )

    async def on_spine(event: Any) -> None:
        headers = spine.read_spine_headers(event.headers or {})
        kind = headers.event_type
        if kind not in _OPENS and kind not in _CLOSES and kind != wire.MADE:
            return
        record = codec.decode(event.value).record
        record_id = headers.record_id
        current = RecordCases.from_json(open_cases.get(record_id))
        if kind == wire.MADE:
            updated, held = cases.referral_arrived(
                current,
                referral_id=str(record["referral_id"]),
                made_at=record["occurred_at"],
                made=wire.routing_made(record),
            )
            await send_routing(held, record_id, event)
        else:
            opens = kind in _OPENS
            team = record.get("responsible_team_id") or record["source"]["agency_id"]
            change = CaseChange(
                event_id=str(record["event_id"]),
                slot=_OPENS[kind] if opens else _CLOSES[kind],
                opens=opens,
                at=record["occurred_at"],
                team=str(team) if opens else None,
            )
            updated, rerouted = cases.case_changed(current, change)
            for held in rerouted:
                await send_routing(held, record_id, event)
        if updated != current:
            open_cases[record_id] = updated.to_json()

    async def publish_route(
        referral_id: str, record: dict[str, Any], before: ReferralState, after: ReferralState
    ) -> None:
        """Publish the referral's route when a record's routing changed it (the incoming
        routing itself, or the route it leaves in force, derived with an id of its own)."""
        was, now = referral.effective_route(before.routes), referral.effective_route(after.routes)
        if now is None or (
            was is not None and (was.record_id, was.route) == (now.record_id, now.route)
        ):
            return
        if (now.record_id, now.route) == (record["record_id"] or "", wire.route_of(record)):
            out = record
        else:
            _, out = wire.routed_record(
                wire.made_of_routed(record),
                now.route,
                record_id=now.record_id or None,
                trigger_event_id=str(record["event_id"]),
            )
        await publish(referral_id, wire.ROUTED, out)
        metrics.REFERRALS_ROUTED.labels(now.route.destination.value, now.route.reason.name).inc()

    def state_of(referral_id: str) -> ReferralState:
        stored = table.get(referral_id)
        return ReferralState.from_json(stored) if stored else referral.empty(referral_id)

    def fold(current: ReferralState, event_type: str, r: dict[str, Any]) -> ReferralState | None:
        event_id = str(r["event_id"])
        if event_type == wire.MADE:
            return referral.made(
                current,
                event_id=event_id,
                made_at=r["occurred_at"],
                referrer_agency_id=r["source"]["agency_id"],
                destination=wire.facts_of(r).named_destination,
            )
        if event_type == wire.ROUTED:
            return referral.routed(
                current, wire.route_of(r), record_id=r["record_id"], event_id=event_id
            )
        if event_type == wire.ACKNOWLEDGED:
            return referral.acknowledged(current, r["occurred_at"])
        if event_type == wire.TRIAGED:
            return referral.triaged(
                current,
                event_id=event_id,
                rag=Rag(r["rag"]),
                at=r["occurred_at"],
                rationale=r["rationale"],
            )
        if event_type == wire.PANEL_DECISION:
            return referral.panel_decided(current, r["occurred_at"])
        if event_type == wire.OUTCOME:
            return referral.outcome_recorded(
                current, event_id=event_id, outcome=r["outcome"], at=r["occurred_at"]
            )
        if event_type == wire.OVERDUE:
            return referral.mark_raised(current, TimerKind(r["timer"]), r["deadline"])
        return None

    async def on_by_id(event: Any) -> None:
        decoded = codec.decode(event.value)
        record = decoded.record
        referral_id = str(record["referral_id"])
        current = state_of(referral_id)
        try:
            folded = fold(current, decoded.event_type, record)
        except Rejected as exc:
            await dead_letters.send(event, exc.code, f"{decoded.event_type}: {exc}")
            return
        if folded is None:
            return
        known = folded.destination or folded.named_destination
        destination = known.value if known else "unrouted"
        if decoded.event_type == wire.ROUTED:
            await publish_route(referral_id, record, current, folded)
        if decoded.event_type == wire.OVERDUE:
            await publish(referral_id, decoded.event_type, record)
            metrics.REFERRALS_OVERDUE.labels(str(record["timer"]), destination).inc()
        now = clock.now()
        for outcome in referral.outcomes_to_return(folded):
            assert folded.referrer_agency_id is not None  # outcomes_to_return checks it
            event_type, returned = wire.returned_record(
                referral_id,
                outcome,
                referrer_agency_id=folded.referrer_agency_id,
                receiving_agency_id=folded.receiving_agency_id,
                now=now,
            )
            await publish(referral_id, event_type, returned)
            metrics.REFERRAL_OUTCOMES_RETURNED.labels(destination, outcome.outcome).inc()
            folded = referral.outcome_returned(folded, outcome.event_id) or folded
        table[referral_id] = folded.to_json()

    @app.agent(accepted, name="referrals-accepted")
    async def referrals_accepted(stream: faust.StreamT[bytes]) -> None:
        await dead_letters.guarded(stream, on_accepted)

    @app.agent(by_child, name="referrals-spine")
    async def referrals_spine(stream: faust.StreamT[bytes]) -> None:
        await dead_letters.guarded(stream, on_spine)

    @app.agent(by_id, name="referrals-fold")
    async def referrals_fold(stream: faust.StreamT[bytes]) -> None:
        await dead_letters.guarded(stream, on_by_id)

    # faust's timer decorator is untyped.
    @app.timer(  # type: ignore[untyped-decorator]
        interval=float(os.environ.get(TIMER_ENV, "2")), name="referral-timers"
    )
    async def referral_timers() -> None:
        try:
            now = clock.now()
            states = [ReferralState.from_json(v) for v in list(table.values()) if v]
            for missed in referral.all_missed(states, now, config):
                event_type, record = wire.overdue_record(missed, now)
                await to_by_id(missed.referral_id, codec.encode(event_type, record), [])
        except Exception:  # a tick that fails must not stop the next one
            log.exception("referral timer tick failed")
