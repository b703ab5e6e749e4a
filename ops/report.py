"""`hub report --month YYYY-MM [--csv FILE] [--chart FILE.svg|png]`: the partnership's indicators.

Counts only, small-number suppressed (projections.reporting.indicators.suppress), read from the
referrals and reporting projections. Standalone click command; ops/cli.py registers it.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Sequence
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from ops.paths import state_dir
from projections import store
from projections.reporting.indicators import (
    INDICATORS,
    SUPPRESSED,
    Count,
    Shown,
    month_bounds,
    shown,
    suppress,
    to_csv,
    totals,
)
from projections.reporting.queries import month_counts

console = Console(highlight=False)


def _dsn(explicit: str | None) -> str:
    if explicit:
        return explicit
    endpoints = state_dir() / "endpoints.json"
    if endpoints.is_file():
        dsn = json.loads(endpoints.read_text()).get("postgres_dsn")
        if dsn:
            return str(dsn)
    raise click.ClickException("no database: pass --dsn, set HUB_POSTGRES_DSN or run `hub up`")


async def fetch(dsn: str, month: str) -> list[Count]:
    """The month's raw counts (suppress before showing them)."""
    async with await store.connect(dsn, application_name="hub-report") as conn:
        return await month_counts(conn, month)


def write_chart(month: str, counts: Sequence[Count], path: Path) -> None:
    """A horizontal bar chart of each indicator's total; suppressed totals are labelled "<5"."""
    import matplotlib

    matplotlib.use("Agg")  # files only, never a display
    from matplotlib import pyplot as plt

    found = totals(counts)
    names = [n for n in INDICATORS if n in found]
    values = [found[n] if suppress(found[n]) != SUPPRESSED else 0 for n in names]
    figure, axes = plt.subplots(figsize=(9, 0.45 * max(len(names), 4) + 1.2))
    bars = axes.barh([INDICATORS[n] for n in names], values, color="#1d70b8")
    for bar, name in zip(bars, names, strict=True):
        axes.annotate(
            suppress(found[name]),
            (bar.get_width(), bar.get_y() + bar.get_height() / 2),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
        )
    axes.invert_yaxis()
    axes.set_title(f"Partnership indicators, {month} (counts; fewer than 5 shown as <5)")
    axes.set_xlabel("count")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def _table(rows: Sequence[Shown]) -> Table:
    table = Table(title=f"Indicators for {rows[0].month}" if rows else "Indicators")
    for column in ("indicator", "agency", "dimension", "value"):
        table.add_column(column, justify="right" if column == "value" else "left")
    for r in rows:
        table.add_row(r.indicator, r.agency, r.dimension, r.value)
    return table


@click.command("report")
@click.option("--month", required=True, help="The month to report, YYYY-MM (Europe/London).")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option(
    "--chart",
    "chart_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write a chart (.svg or .png).",
)
@click.option("--dsn", default=lambda: os.environ.get("HUB_POSTGRES_DSN"), help="PostgreSQL DSN.")
def report(month: str, csv_path: Path | None, chart_path: Path | None, dsn: str | None) -> None:
    """The partnership's indicators for one month: counts only, fewer than 5 shown as "<5"."""
    try:
        month_bounds(month)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--month") from None
    if chart_path is not None and chart_path.suffix.lower() not in (".svg", ".png"):
        raise click.BadParameter("the chart is .svg or .png", param_hint="--chart")
    counts = asyncio.run(fetch(_dsn(dsn), month))
    rows = shown(month, counts)
    console.print(_table(rows))
    if csv_path is not None:
        csv_path.write_text(to_csv(rows), encoding="utf-8")
        console.print(f"CSV: {csv_path}")
    if chart_path is not None:
        write_chart(month, counts, chart_path)
        console.print(f"chart: {chart_path}")
