"""Thin agents for Operation Encompass: one notification per (police reference, child).

- ``encompass-spine`` (the spine, keyed by record id): PupilEnrolled / PupilLeft fold into the
  enrolment table; each domestic abuse IncidentRecorded (one spine message per child) and each
  EncompassNotificationRequested is routed, given its deadline and allow-listed content, and
  published to hub.log.encompass.v1 (keyed by police reference) as EncompassNotificationIssued,
  with EncompassNotificationRerouted / EncompassEscalated where the rules say.
- ``encompass-acks`` (hub.log.encompass.v1): EncompassNotificationAcknowledged, published by
  the read API, is repartitioned by record id onto ``<app id>-encompass-by-record``.
- ``encompass-fold`` (that topic): acknowledgements and the timer's events fold into the
  notification table; a timer event folded for the first time is published.
- a timer every HUB_ENCOMPASS_TIMER_SECONDS runs the domain's due_timers over the table with
  `now` from an OffsetClock (tests move it through ``<HUB_STATE_DIR>/clock_offset_seconds``).
  faust tables can only be written while processing a stream, and a timer may fire twice
  before its first event folds back, so it sends to the repartition topic, not the table.

Enrolment order: routing uses what the table holds when the incident arrives. An enrolment that
arrives later does not move a notification already issued to the coordinator ("no school
known"): the coordinator has it and is accountable for passing it on; the next notification
for that child routes to the school. A re-notification is routed on the day it is recorded, so a
child who changed school in between is re-notified at the new one, with a reroute from the old
(the deadline still runs from the first recording). Outputs are sent before the tables are
written, so a crash between the two re-derives the same events (same ids) on redelivery.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import faust

from schemas import codec, topics
from streams import metrics, spine
from streams.agents.dead_letters import DeadLetters
from streams.clock import Clock, OffsetClock, offset_file
from streams.encompass import inputs, wire
from streams.encompass.area import EXAMPLE_AREA, Area, load_area
from streams.encompass.calendar import deadline_for
from streams.encompass.notifications import EncompassDeadlineMissed, EncompassEscalated
from streams.encompass.routing import (
    Recipient,
    RecipientKind,
    apply_enrolment,
    enrolment_date,
    enrolment_status,
    requires_notification,
    route,
    validate_request,
)
from streams.encompass.state import (
    NotificationState,
    acknowledge,
    decide_issue,
    mark_timer,
    table_key,
    timers_due,
)

log = logging.getLogger(__name__)

AREA_FILE_ENV: Final = "HUB_AREA_FILE"
STATE_AREA_FILE: Final = "encompass_area.yaml"  # in HUB_STATE_DIR: what `hub demo` writes
TIMER_ENV: Final = "HUB_ENCOMPASS_TIMER_SECONDS"
_SETTINGS: Final = frozenset({RecipientKind.KEY_ADULT, RecipientKind.EARLY_YEARS_SETTING})


def by_record_topic(app_id: str) -> str:
    """Acknowledgements and timer events, repartitioned by record id."""
    return f"{app_id}-encompass-by-record"


class AreaSource:
    """The area file in force, re-read when it changes (HUB_AREA_FILE, else the state
    directory's encompass_area.yaml, else the shipped example)."""

    def __init__(self, explicit: Path | None, state_dir: Path) -> None:
        self.explicit = explicit
        self.state_file = state_dir / STATE_AREA_FILE
        self._loaded: tuple[Path, float, Area] | None = None

    def path(self) -> Path:
        if self.explicit is not None:
            return self.explicit
        return self.state_file if self.state_file.exists() else EXAMPLE_AREA

    def current(self) -> Area:
        path = self.path()
        mtime = path.stat().st_mtime
        if self._loaded is None or self._loaded[:2] != (path, mtime):
            self._loaded = (path, mtime, load_area(path))
            log.info("Encompass area loaded from %s", path)
        return self._loaded[2]


def deadline_of(area: Area) -> Callable[[datetime, Recipient], datetime]:
    """Deadline from the accountable recipient's calendar (a service follows the LA's)."""

    def deadline(first_recorded_at: datetime, primary: Recipient) -> datetime:
        urn = primary.organisation_id if primary.kind in _SETTINGS else None
        return deadline_for(first_recorded_at, area.calendar_for(urn))

    return deadline


def register(app: faust.App, *, clock: Clock | None = None, area: AreaSource | None = None) -> None:
    """Declare the Encompass stage's topics, tables, agents and timer on the app."""
    app_id = str(app.conf.id)
    state_dir = Path(os.environ.get("HUB_STATE_DIR", ".state"))
    explicit = os.environ.get(AREA_FILE_ENV)
    areas = area or AreaSource(Path(explicit) if explicit else None, state_dir)
    clock = clock or OffsetClock(offset_file=offset_file(state_dir))
    by_child = app.topic(
        spine.by_child_topic(app_id),
        internal=True,
        partitions=spine.BY_CHILD_PARTITIONS,
        config={"retention.ms": str(topics.FOREVER)},
        key_serializer="raw",
        value_serializer="raw",
    )
    by_record = app.topic(
        by_record_topic(app_id),
        internal=True,
        partitions=spine.BY_CHILD_PARTITIONS,  # co-partitioned with the spine: same tables
        config={"retention.ms": str(topics.FOREVER)},
        key_serializer="raw",
        value_serializer="raw",
    )
    encompass_log = app.topic(topics.ENCOMPASS, key_serializer="raw", value_serializer="raw")
    dead_letters = DeadLetters(app)
    # record id -> enrolment facts (URNs and dates); (police ref, record id) -> state (no content).
    enrolments = app.Table(
        "encompass-enrolments", partitions=spine.BY_CHILD_PARTITIONS, key_type=str, value_type=str
    )
    notifications = app.Table(
        "encompass-notifications",
        partitions=spine.BY_CHILD_PARTITIONS,
        key_type=str,
        value_type=str,
    )

    def state_of(key: str) -> NotificationState | None:
        stored = notifications.get(key)
        return NotificationState.from_json(stored) if stored else None

    async def publish(records: list[tuple[str, dict[str, Any]]], police_reference: str) -> None:
        for event_type, record in records:
            await encompass_log.send(
                key=police_reference.encode(), value=codec.encode(event_type, record)
            )

    async def on_spine(event: Any) -> None:
        headers = spine.read_spine_headers(event.headers or {})
        if headers.event_type not in inputs.ENROLMENT_TYPES | inputs.NOTIFYING_TYPES:
            return
        record = codec.decode(event.value).record
        record_id = headers.record_id
        history = inputs.history_from_json(record_id, enrolments.get(record_id))
        if headers.event_type in inputs.ENROLMENT_TYPES:
            fact = inputs.enrolment_event(headers.event_type, record, record_id)
            enrolments[record_id] = inputs.history_to_json(apply_enrolment(history, fact))
            return
        current = areas.current()
        config = current.config
        rerouted_from = reason = None
        if headers.event_type == "IncidentRecorded":
            found = inputs.incident_facts(
                record,
                subject_index=headers.subject_index,
                record_id=record_id,
                local_authority=config.local_authority,
            )
            if found is None or not requires_notification(*found):
                return
            incident, child = found
            status = enrolment_status(history, enrolment_date(incident))
            recipients = route(child, status, config, incident)
        else:
            request = inputs.request_facts(
                record, record_id=record_id, local_authority=config.local_authority
            )
            incident, child = request.incident, request.child
            checked = validate_request(request, history, config)
            recipients = list(checked.recipients)
            rerouted_from, reason = checked.rerouted_from, checked.reason
        key = table_key(incident.police_reference, record_id)
        existing = state_of(key)
        issue = decide_issue(
            existing,
            incident=incident,
            child=child,
            recipients=recipients,
            config=config,
            deadline_of=deadline_of(current),
            source_event_id=headers.event_id,
            now=clock.now(),
            rerouted_from=rerouted_from,
            reroute_reason=reason,
        )
        if issue is None:
            return  # a redelivered source event
        if not issue.unchanged:
            records = wire.issue_records(
                issue,
                incident=incident,
                child_id=headers.child_id,
                source_event_id=headers.event_id,
            )
            await publish(records, incident.police_reference)
            state = issue.state
            if existing is None:
                metrics.ENCOMPASS_NOTIFICATIONS_ISSUED.labels(
                    state.primary_kind.value, config.local_authority, state.primary_org
                ).inc()
            if existing is None or existing.primary_org != state.primary_org:
                # A re-notification routed elsewhere (the child changed school) lands in a
                # second inbox: a delivery of its own, on time or not.
                on_time = state.delivered_at is not None and state.delivered_at < state.deadline
                metrics.ENCOMPASS_DELIVERED.labels(
                    str(on_time).lower(), config.local_authority, state.primary_org
                ).inc()
            if issue.escalation is not None:
                metrics.ENCOMPASS_ESCALATED.labels(issue.escalation.value).inc()
        notifications[key] = issue.state.to_json()

    async def on_encompass(event: Any) -> None:
        decoded = codec.decode(event.value)
        if decoded.event_type == wire.ACKNOWLEDGED:
            await by_record.send(key=str(decoded.record["record_id"]).encode(), value=event.value)

    async def on_by_record(event: Any) -> None:
        decoded = codec.decode(event.value)
        record = decoded.record
        key = table_key(record["police_reference"], record["record_id"])
        state = state_of(key)
        if decoded.event_type == wire.ACKNOWLEDGED:
            folded = acknowledge(
                state,
                organisation_id=record["organisation_id"],
                acknowledged_at=record["acknowledged_at"],
            )
            if folded is not None:
                notifications[key] = folded.to_json()
                metrics.ENCOMPASS_ACKNOWLEDGED.labels(folded.primary_org).inc()
                if folded.delivered_at is not None:
                    waited = (record["acknowledged_at"] - folded.delivered_at).total_seconds()
                    metrics.ENCOMPASS_TIME_TO_ACKNOWLEDGE.labels(folded.primary_org).observe(
                        max(waited, 0.0)
                    )
            return
        if decoded.event_type not in wire.TIMER_TYPES:
            return
        timer = wire.timer_event(decoded.event_type, record)
        folded = mark_timer(state, timer, areas.current().config)
        if folded is None:
            return  # fired twice, or acknowledged / re-issued since the tick
        await encompass_log.send(key=record["police_reference"].encode(), value=event.value)
        notifications[key] = folded.to_json()
        if isinstance(timer, EncompassDeadlineMissed):
            metrics.ENCOMPASS_DEADLINE_MISSED.labels(
                areas.current().config.local_authority, folded.primary_org
            ).inc()
        else:
            metrics.ENCOMPASS_ESCALATED.labels(timer.reason.value).inc()

    @app.agent(by_child, name="encompass-spine")
    async def encompass_spine(stream: faust.StreamT[bytes]) -> None:
        await dead_letters.guarded(stream, on_spine)

    @app.agent(encompass_log, name="encompass-acks")
    async def encompass_acks(stream: faust.StreamT[bytes]) -> None:
        await dead_letters.guarded(stream, on_encompass)

    @app.agent(by_record, name="encompass-fold")
    async def encompass_fold(stream: faust.StreamT[bytes]) -> None:
        await dead_letters.guarded(stream, on_by_record)

    # key -> (stored JSON, its state): the timer looks at every notification each tick, and
    # parsing the whole table every 2 s cost O(table) JSON decodes per tick (profiled: it grows
    # with every incident ever notified); only entries whose JSON changed are parsed again.
    parsed: dict[str, tuple[str, NotificationState]] = {}

    def parsed_states() -> list[NotificationState]:
        states: list[NotificationState] = []
        seen: set[str] = set()
        for key, stored in list(notifications.items()):
            if not stored:
                continue
            seen.add(key)
            cached = parsed.get(key)
            if cached is None or cached[0] != stored:
                cached = (stored, NotificationState.from_json(stored))
                parsed[key] = cached
            states.append(cached[1])
        for gone in parsed.keys() - seen:  # a rebalance took the partition away
            del parsed[gone]
        return states

    # faust's timer decorator is untyped.
    @app.timer(  # type: ignore[untyped-decorator]
        interval=float(os.environ.get(TIMER_ENV, "2")), name="encompass-timers"
    )
    async def encompass_timers() -> None:
        try:
            config = areas.current().config
            states = parsed_states()
            due: list[EncompassDeadlineMissed | EncompassEscalated] = timers_due(
                states, clock.now(), config
            )
            for timer in due:
                event_type, record = wire.timer_record(timer)
                await by_record.send(
                    key=timer.child_key.encode(), value=codec.encode(event_type, record)
                )
        except Exception:  # a tick that fails must not stop the next one
            log.exception("Encompass timer tick failed")
