"""The partnership's indicators as data, small-number suppression, CSV and a chart. Pure.

Counts only. Suppression happens in one place, `suppress`: any count below 5 is shown as
"<5" so that no child is identifiable; a share (per cent on time) is shown only when both the
count it is made of and its complement are 5 or more, since otherwise the share would give
a suppressed count away.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Final
from zoneinfo import ZoneInfo

LONDON: Final = ZoneInfo("Europe/London")
THRESHOLD: Final = 5
SUPPRESSED: Final = "<5"
ALL: Final = "all"

# name -> what it counts (the board pack's legend, in report order).
INDICATORS: Final = {
    "encompass_notifications": "Operation Encompass notifications issued, by recipient",
    "encompass_on_time": "... of which delivered before the start of the next school session",
    "encompass_on_time_percent": "Share of notifications on time (%)",
    "referrals_by_source": "Referrals made, by referring agency and destination",
    "referrals_by_outcome": "Referrals made, by referring agency and outcome so far",
    "re_referrals_12_months": "Referrals about a child referred in the 12 months before",
    "front_door_referrals": "Referrals to the social care front door",
    "front_door_with_active_eha": "... of which about a child with an active early help assessment",
    "eha_started": "Early help assessments started, by agency and primary need",
    "stepped_up": "Step-ups to social care, by agency",
    "stepped_down": "Step-downs to early help, by agency",
    "referrals_overdue": "Referrals that missed a time limit, by receiving agency",
    "pitstop_referrals": "PiTstop referrals, by outcome so far",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Count:
    """One raw count (never shown as it is: see `suppress`)."""

    indicator: str
    agency: str
    dimension: str
    count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Shown:
    """One row of the report as people see it."""

    month: str
    indicator: str
    agency: str
    dimension: str
    value: str


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """[start, end) of a YYYY-MM month in Europe/London, as UTC instants."""
    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError:
        raise ValueError(f"month must be YYYY-MM, got {month!r}") from None
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    start = datetime.combine(first, datetime.min.time(), LONDON).astimezone(UTC)
    end = datetime.combine(following, datetime.min.time(), LONDON).astimezone(UTC)
    return start, end


def suppress(count: int) -> str:
    """A count as shown: below 5 it is "<5" (so no child is identifiable)."""
    if count < 0:
        raise ValueError("a count is never negative")
    return SUPPRESSED if count < THRESHOLD else str(count)


def share(part: int, whole: int) -> str:
    """A percentage, shown only if neither the part nor the rest would be suppressed."""
    if not 0 <= part <= whole:
        raise ValueError("part must lie between 0 and whole")
    if part < THRESHOLD or whole - part < THRESHOLD:
        return SUPPRESSED
    return f"{100 * part / whole:.1f}"


def with_shares(counts: Sequence[Count]) -> list[Count | tuple[str, str, str, str]]:
    """Counts plus derived shares (indicator, agency, dimension, shown value)."""
    issued = {c.agency: c.count for c in counts if c.indicator == "encompass_notifications"}
    on_time = {c.agency: c.count for c in counts if c.indicator == "encompass_on_time"}
    out: list[Count | tuple[str, str, str, str]] = list(counts)
    for agency, total in sorted(issued.items()):
        out.append(("encompass_on_time_percent", agency, "", share(on_time.get(agency, 0), total)))
    return out


def shown(month: str, counts: Sequence[Count]) -> list[Shown]:
    """The report's rows, suppressed, in the legend's order then by agency and dimension."""
    order = {name: i for i, name in enumerate(INDICATORS)}
    rows: list[Shown] = []
    for item in with_shares(counts):
        if isinstance(item, Count):
            rows.append(
                Shown(
                    month=month,
                    indicator=item.indicator,
                    agency=item.agency,
                    dimension=item.dimension,
                    value=suppress(item.count),
                )
            )
        else:
            indicator, agency, dimension, value = item
            rows.append(
                Shown(
                    month=month,
                    indicator=indicator,
                    agency=agency,
                    dimension=dimension,
                    value=value,
                )
            )
    return sorted(rows, key=lambda r: (order.get(r.indicator, 99), r.agency, r.dimension))


def to_csv(rows: Iterable[Shown]) -> str:
    """CSV for the board pack (suppressed values stay "<5")."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["month", "indicator", "agency", "dimension", "value"])
    for r in rows:
        writer.writerow([r.month, r.indicator, r.agency, r.dimension, r.value])
    return out.getvalue()


def totals(counts: Sequence[Count]) -> dict[str, int]:
    """Each indicator's total over agencies and dimensions (for the chart; suppressed there)."""
    found: dict[str, int] = {}
    for c in counts:
        found[c.indicator] = found.get(c.indicator, 0) + c.count
    return found
