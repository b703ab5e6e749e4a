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


def _endpoint(env_name: str, recorded_name: str) -> str:
    """From the environment (deployments) or else the local stack's endpoints file."""
    import json
    import os

    if os.environ.get(env_name):
        return os.environ[env_name]
    recorded = stack.endpoints_file()
    if not recorded.is_file():
        raise click.ClickException(
            f"{env_name} is not set and the local stack is not up (`hub up --detach` first)"
        )
    return str(json.loads(recorded.read_text())[recorded_name])


@topics.command("apply")
def topics_apply() -> None:
    """Create or correct the declared topics on the broker (idempotent)."""
    from ops.topics import apply_topics

    changes = apply_topics(_endpoint("HUB_KAFKA_BOOTSTRAP", "kafka_bootstrap"))
    console.print(
        f"created {changes.created or 'none'}; widened {changes.widened or 'none'}; "
        f"reconfigured {changes.reconfigured or 'none'}"
    )


@main.command()
def migrate() -> None:
    """Apply the SQL migrations not yet applied to the hub's database."""
    from ops.migrations import apply_migrations

    applied = apply_migrations(_endpoint("HUB_POSTGRES_DSN", "postgres_dsn"))
    console.print(f"applied: {', '.join(applied) if applied else 'none (up to date)'}")


@main.command()
def worker() -> None:
    """Run the stream processors (a faust worker) in the foreground."""
    from streams.worker import main as run_worker

    run_worker()


def _register_tools() -> None:
    """Commands that live beside the code they drive."""
    from projections.cli import projections, projector

    main.add_command(projector)
    main.add_command(projections)


_register_tools()

if __name__ == "__main__":
    main()
