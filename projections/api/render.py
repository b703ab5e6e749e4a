"""Plain-data renderings of what the API returns: JSON objects and CSV (pure)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from projections.api.access import LONDON, ReferralView, VisibleEntry
from projections.api.model import Alert, AuditEntry, ReferralState
from projections.api.service import ChronologyRead
from projections.reporting.indicators import INDICATORS, SUPPRESSED, Shown
from streams.chronology import ChronologyEntry, Mark


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def local(value: datetime | None) -> str:
    """A time as people read it: Europe/London, to the minute."""
    return value.astimezone(LONDON).strftime("%a %d %b %Y %H:%M") if value else ""


def state(entry: ChronologyEntry) -> str:
    if entry.retracted is not None:
        return "retracted"
    if entry.superseded is not None:
        return "superseded"
    return "current"


def _mark(mark: Mark | None) -> dict[str, Any] | None:
    if mark is None:
        return None
    return {
        "event_id": mark.event_id,
        "agency_id": mark.by.agency_id,
        "role": mark.by.practitioner_role,
        "at": iso(mark.at),
        "reason": mark.reason,
    }


def entry_json(visible: VisibleEntry) -> dict[str, Any]:
    e = visible.entry
    return {
        "entry_id": e.entry_id,
        "version": e.version,
        "state": state(e),
        "level": visible.level,
        "occurred_at": iso(e.occurred_at),
        "recorded_at": iso(e.recorded_at),
        "agency_id": e.source.agency_id,
        "agency_kind": e.source.agency_kind,
        "practitioner_role": e.source.practitioner_role,
        "category": e.category,
        "summary": e.summary,
        "impact_on_child": e.impact_on_child,
        "action_taken": e.action_taken,
        "police_reference": e.police_reference,
        "included_in_print": e.included,
        "amendment": _mark(e.amendment),
        "superseded": _mark(e.superseded),
        "retracted": _mark(e.retracted),
    }


def chronology_json(read: ChronologyRead) -> dict[str, Any]:
    return {
        "child_id": read.access.child_id,
        "entries": [entry_json(v) for v in read.entries],
    }


CSV_COLUMNS = (
    "occurred_at",
    "agency_kind",
    "agency_id",
    "practitioner_role",
    "category",
    "summary",
    "impact_on_child",
    "action_taken",
    "state",
    "version",
    "level",
)


def chronology_csv(read: ChronologyRead) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for v in read.entries:
        e = v.entry
        writer.writerow(
            [
                local(e.occurred_at),
                e.source.agency_kind,
                e.source.agency_id,
                e.source.practitioner_role or "",
                e.category,
                # A cell starting with = + - @ would be a formula in a spreadsheet.
                *(_cell(t) for t in (e.summary, e.impact_on_child, e.action_taken)),
                state(e),
                e.version,
                v.level,
            ]
        )
    return out.getvalue()


def _cell(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def alert_json(a: Alert, urn: str | None = None) -> dict[str, Any]:
    return {
        "id": a.alert_id,
        "police_reference": a.police_reference,
        "child_id": a.child_id,
        "status": a.status,
        "organisation_id": a.organisation_id,
        "organisation_name": a.organisation_name,
        "key_adult_name": a.key_adult_name,
        "deadline": iso(a.deadline),
        "issued_at": iso(a.issued_at),
        "delivered_at": iso(a.delivered_at),
        "acknowledged_at": iso(a.acknowledged_at),
        "acknowledged_by": a.acknowledged_by,
        "content": a.content,
        **({"ack_url": f"/v1/schools/{urn}/alerts/{a.alert_id}/ack"} if urn else {}),
    }


def referral_json(v: ReferralView) -> dict[str, Any]:
    def item(s: Any) -> dict[str, Any] | None:
        if s is None:
            return None
        return {"level": s.level, "occurred_at": iso(s.occurred_at), "content": s.content}

    return {
        "referral_id": v.referral_id,
        "child_id": v.child_id,
        "timer": v.timer,
        "due_by": iso(v.due_by),
        "referral": item(v.made),
        "outcome": item(v.outcome),
        "hub_status": None if v.state is None else referral_state_json(v.state),
    }


def referral_state_json(s: ReferralState) -> dict[str, Any]:
    return {
        k: iso(v) if isinstance(v, datetime) else v
        for k, v in ((name, getattr(s, name)) for name in s.__dataclass_fields__)
    }


def audit_json(a: AuditEntry) -> dict[str, Any]:
    return {
        "event_id": a.event_id,
        "viewed_at": iso(a.viewed_at),
        "viewer_id": a.viewer_id,
        "viewer_name": a.viewer_name,
        "viewer_role": a.viewer_role,
        "organisation_id": a.organisation_id,
        "child_id": a.child_id,
        "view": a.view,
        "endpoint": a.endpoint,
        "reason": a.reason,
        "include_retracted": a.include_retracted,
        "items_shown": a.items_shown,
        "child_status": a.child_status,
        "notify_team": a.notify_team,
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportBar:
    label: str
    value: str  # as shown: a count, a percentage or "<5"
    width: int  # percent of the section's largest shown number; 0 when suppressed


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportSection:
    indicator: str
    title: str
    bars: list[ReportBar]


def report_sections(rows: Sequence[Shown]) -> list[ReportSection]:
    """The report's rows as one bar chart per indicator, for the web page (values suppressed
    already: a "<5" draws no bar, so the chart shows nothing the table does not)."""
    grouped: dict[str, list[Shown]] = {}
    for r in rows:
        grouped.setdefault(r.indicator, []).append(r)
    sections = []
    for indicator, items in grouped.items():
        numbers = [float(r.value) for r in items if r.value != SUPPRESSED]
        top = max(numbers, default=0.0) or 1.0
        bars = [
            ReportBar(
                label=" · ".join(x for x in (r.agency, r.dimension) if x),
                value=r.value,
                width=0 if r.value == SUPPRESSED else round(100 * float(r.value) / top),
            )
            for r in items
        ]
        sections.append(
            ReportSection(
                indicator=indicator, title=INDICATORS.get(indicator, indicator), bars=bars
            )
        )
    return sections
