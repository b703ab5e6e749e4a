"""`hub dead-letters`: look at the dead-letter topic and replay records after a fix.

A standalone click group; ops/cli.py registers it with ``main.add_command``.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import click
from rich.console import Console
from rich.table import Table

from ops.dead_letters import NEVER_BY_DEFAULT, Selection, read_dead_letters, replay
from ops.publish import PublishError, resolve_bootstrap

console = Console(highlight=False)


def _bootstrap(explicit: str | None) -> str:
    try:
        return resolve_bootstrap(explicit)
    except PublishError as exc:
        raise click.ClickException(str(exc)) from exc


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@click.group("dead-letters")
def dead_letters() -> None:
    """The dead-letter topic (hub.ops.deadletter.v1): count and replay rejected records."""


@dead_letters.command("list")
@click.option("--bootstrap", default=None, help="Kafka bootstrap (default: the local stack).")
def list_dead_letters(bootstrap: str | None) -> None:
    """Count dead letters by reason and source topic (no content is shown)."""
    counts = Counter(
        (d.reason, d.source_topic or "?") for d in read_dead_letters(_bootstrap(bootstrap))
    )
    table = Table("reason", "source topic", "records")
    for (reason, topic), n in sorted(counts.items()):
        table.add_row(reason, topic, str(n))
    console.print(table)


@dead_letters.command("replay")
@click.option(
    "--reason",
    "reasons",
    multiple=True,
    required=True,
    help="Replay dead letters with this reason (repeatable), e.g. processing_error.",
)
@click.option("--source-topic", default=None, help="Only those first published on this topic.")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d"]),
    default=None,
    help="Only those dead-lettered at or after this time (UTC unless an offset is given).",
)
@click.option(
    "--until",
    type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d"]),
    default=None,
    help="Only those dead-lettered before this time.",
)
@click.option("--dry-run", is_flag=True, help="Count what would be replayed; send nothing.")
@click.option("--bootstrap", default=None, help="Kafka bootstrap (default: the local stack).")
def replay_dead_letters(
    reasons: tuple[str, ...],
    source_topic: str | None,
    since: datetime | None,
    until: datetime | None,
    dry_run: bool,
    bootstrap: str | None,
) -> None:
    """Send the chosen dead letters back to the topics they were first published on, key and
    bytes untouched, once the cause is fixed. Safe to repeat: a record the hub already has
    comes back as a duplicate_event_id dead letter, never a second accepted event."""
    if NEVER_BY_DEFAULT & set(reasons):
        console.print("note: duplicate_event_id records are retries the hub already holds")
    selection = Selection(
        reasons=frozenset(reasons),
        source_topic=source_topic,
        since=_utc(since),
        until=_utc(until),
    )
    summary = replay(_bootstrap(bootstrap), selection, dry_run=dry_run)
    verb = "would replay" if dry_run else "replayed"
    table = Table("reason", "back to topic", "records")
    for (reason, topic), n in sorted(summary.replayed.items()):
        table.add_row(reason, topic, str(n))
    console.print(table)
    console.print(
        f"{verb} {sum(summary.replayed.values())} of {summary.scanned} dead letters"
        + ("" if dry_run else " (header hub.replayed_from names each one's position)")
    )
