"""Small-number suppression, the report's rows, CSV and chart (pure apart from the chart file)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ops.report import write_chart
from projections.reporting.indicators import (
    SUPPRESSED,
    Count,
    month_bounds,
    share,
    shown,
    suppress,
    to_csv,
)


@pytest.mark.parametrize(("count", "text"), [(0, "<5"), (1, "<5"), (4, "<5"), (5, "5"), (37, "37")])
def test_fewer_than_five_is_shown_as_less_than_five(count: int, text: str) -> None:
    assert suppress(count) == text


@given(st.integers(min_value=0, max_value=10_000))
def test_no_shown_count_is_ever_below_five(count: int) -> None:
    text = suppress(count)
    assert text == SUPPRESSED or int(text) >= 5


def test_a_share_that_would_give_a_small_count_away_is_suppressed() -> None:
    assert share(40, 50) == "80.0"
    assert share(47, 50) == SUPPRESSED  # three late: the share would reveal them
    assert share(3, 50) == SUPPRESSED
    with pytest.raises(ValueError, match="between"):
        share(6, 5)


def test_the_report_rows_are_suppressed_and_carry_the_on_time_share() -> None:
    counts = [
        Count(indicator="encompass_notifications", agency="urn-1", dimension="", count=60),
        Count(indicator="encompass_on_time", agency="urn-1", dimension="", count=52),
        Count(indicator="referrals_by_source", agency="police", dimension="FRONT_DOOR", count=3),
    ]
    rows = shown("2026-03", counts)
    values = {(r.indicator, r.agency): r.value for r in rows}
    assert values == {
        ("encompass_notifications", "urn-1"): "60",
        ("encompass_on_time", "urn-1"): "52",
        ("encompass_on_time_percent", "urn-1"): "86.7",
        ("referrals_by_source", "police"): "<5",
    }
    parsed = list(csv.DictReader(io.StringIO(to_csv(rows))))
    assert [r["value"] for r in parsed if r["indicator"] == "referrals_by_source"] == ["<5"]
    assert all(r["month"] == "2026-03" for r in parsed)


def test_months_are_london_months() -> None:
    start, end = month_bounds("2026-06")
    assert start == datetime(2026, 5, 31, 23, tzinfo=UTC)  # BST
    assert end == datetime(2026, 6, 30, 23, tzinfo=UTC)
    with pytest.raises(ValueError, match="YYYY-MM"):
        month_bounds("June")


def test_the_chart_labels_suppressed_totals_and_shows_no_small_bar(tmp_path: Path) -> None:
    counts = [
        Count(indicator="referrals_by_source", agency="police", dimension="PITSTOP", count=12),
        Count(indicator="stepped_up", agency="front-door", dimension="", count=2),
    ]
    path = tmp_path / "chart.svg"
    write_chart("2026-03", counts, path)
    svg = path.read_text()
    assert "&lt;5" in svg
    assert "12" in svg
