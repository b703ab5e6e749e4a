"""`hub simulate` and `hub publish`: make a synthetic history, and send a file of events.

Standalone click commands; ops/cli.py registers them with ``main.add_command``.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ops.publish import PublishError, count_lines, publish_file, resolve_bootstrap
from streams.simulation import generate, to_lines

console = Console(highlight=False)
# Reasons printed per group before "and N more" (a file can repeat one mistake many times).
_MAX_LINES_SHOWN = 10


@click.command("simulate")
@click.option("--children", default=1000, show_default=True, type=click.IntRange(min=1))
@click.option("--schools", default=20, show_default=True, type=click.IntRange(min=1))
@click.option("--days", default=30, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=1, show_default=True, type=int)
@click.option(
    "--start",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="First simulated day (YYYY-MM-DD); default: so that the period ends yesterday.",
)
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="JSON-lines file."
)
@click.option(
    "--manifest",
    "manifest_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the ground truth (what was planted) as JSON.",
)
def simulate(
    children: int,
    schools: int,
    days: int,
    seed: int,
    start: datetime | None,
    out: Path,
    manifest_path: Path | None,
) -> None:
    """Write a deterministic synthetic multi-agency history as JSON lines (synthetic people only)."""
    first = start.date() if start else _today() - timedelta(days=days)
    began = time.perf_counter()
    scenario = generate(seed, children=children, schools=schools, days=days, start=first)
    with out.open("w", encoding="utf-8") as handle:
        handle.writelines(to_lines(scenario.events))
    manifest = scenario.manifest
    if manifest_path is not None:
        manifest_path.write_text(json.dumps(manifest.to_json(), indent=1) + "\n", encoding="utf-8")
    took = time.perf_counter() - began
    console.print(
        f"{len(scenario.events)} events for {children} children over {days} days from {first} "
        f"(seed {seed}) written to {out} in {took:.1f}s"
    )
    console.print(
        f"  planted: {len(manifest.ambiguities)} identity ambiguities, "
        f"{len(manifest.withheld_enrolments)} withheld enrolments, "
        f"{len(manifest.overdue_referrals)} overdue referrals"
    )
    if manifest_path is not None:
        console.print(f"  manifest written to {manifest_path}")


def _today() -> date:
    # The edge of the system: the only place the simulation's dates meet the wall clock.
    return datetime.now(UTC).date()


@click.command("publish")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--bootstrap",
    default=None,
    help="Kafka bootstrap servers; default HUB_KAFKA_BOOTSTRAP, else the local stack's.",
)
def publish(file: Path, bootstrap: str | None) -> None:
    """Send a JSON-lines file of events to the agencies' ingest topics."""
    try:
        servers = resolve_bootstrap(bootstrap)
        total = count_lines(file)
        columns = (
            TextColumn("publishing"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task("publish", total=total)
            summary = publish_file(
                file,
                bootstrap=servers,
                now=datetime.now(UTC),
                progress=lambda n: bar.update(task, completed=n),
            )
    except PublishError as exc:
        raise click.ClickException(str(exc)) from exc
    console.print(f"sent {summary.sent}; rejected {len(summary.rejected)}")
    if summary.by_topic:
        table = Table("topic", "sent")
        for topic, count in sorted(summary.by_topic.items()):
            table.add_row(topic, str(count))
        console.print(table)
    for reason, lines in summary.reasons().items():
        shown = ", ".join(str(n) for n in lines[:_MAX_LINES_SHOWN])
        more = f" and {len(lines) - _MAX_LINES_SHOWN} more" if len(lines) > _MAX_LINES_SHOWN else ""
        console.print(f"  {reason}: line {shown}{more}")
    if summary.rejected:
        raise SystemExit(1)
