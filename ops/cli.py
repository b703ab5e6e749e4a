"""The `hub` command: run the local stack and the hub's tools."""

from __future__ import annotations

import signal
import sys
import time

import click
from rich.console import Console
from rich.table import Table

from ops import stack
from ops.processes import StackError

console = Console(highlight=False)


def _say(message: str) -> None:
    console.print(message)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """The safeguarding information-sharing hub: local stack and tools."""


@main.command()
@click.option(
    "--detach", is_flag=True, help="Return once everything is ready; stop it with `hub down`."
)
def up(detach: bool) -> None:
    """Start Kafka, PostgreSQL and the hub's processes; apply topics and migrations."""
    try:
        endpoints = stack.up(say=_say)
    except StackError as exc:
        raise click.ClickException(str(exc)) from exc
    console.print(f"\n[bold]Endpoints[/bold] written to {stack.endpoints_file()}")
    console.print(f"  Kafka bootstrap  {endpoints.kafka_bootstrap}")
    console.print(f"  PostgreSQL       {endpoints.postgres_url}")
    if detach:
        console.print("Running in the background. `hub status` to check, `hub down` to stop.")
        return
    console.print("Running. Press Ctrl-C to stop everything.")
    stopping = False

    def _stop(_sig: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    try:
        while not stopping:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    stack.down(say=_say)


@main.command()
def down() -> None:
    """Stop the hub's processes, Kafka and PostgreSQL (their data stays for the next `hub up`)."""
    try:
        stack.down(say=_say)
    except StackError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command()
def status() -> None:
    """Show what is running and where it answers; exit 1 if anything is down."""
    table = Table("component", "state", "pid", "where / what")
    rows = stack.status()
    for row in rows:
        state = "[green]running[/green]" if row.pid else "[red]stopped[/red]"
        table.add_row(row.name, state, str(row.pid or "-"), row.detail)
    console.print(table)
    sys.exit(0 if all(r.pid for r in rows) else 1)


@main.group()
def topics() -> None:
    """Kafka topics declared in schemas/topics.py."""


@topics.command("apply")
def topics_apply() -> None:
    """Create or correct the declared topics on the running broker (idempotent)."""
    import json

    from ops.topics import apply_topics

    endpoints = json.loads(stack.endpoints_file().read_text())
    changes = apply_topics(endpoints["kafka_bootstrap"])
    console.print(
        f"created {changes.created or 'none'}; widened {changes.widened or 'none'}; "
        f"reconfigured {changes.reconfigured or 'none'}"
    )


if __name__ == "__main__":
    main()
