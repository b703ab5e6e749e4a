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
    if "gateway" in endpoints.urls:
        console.print(f"  ingest gateway   {endpoints.urls['gateway']}/v1/events")
    if "api" in endpoints.urls:
        console.print(f"  web and read API {endpoints.urls['api']}/  (sign in with a demo login)")
    console.print(f"  demo logins      {endpoints.demo_logins} (one token per demo person)")
    console.print(f"  demo tokens      {endpoints.demo_tokens} (one bearer token per demo agency)")
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
def gateway() -> None:
    """Run the HTTP ingest gateway in the foreground (POST /v1/events)."""
    from streams.gateway.main import main as run_gateway

    run_gateway()


@main.command()
def api() -> None:
    """Run the read API and web pages in the foreground (JSON under /v1, pages at /)."""
    from projections.api.main import main as run_api

    run_api()


@main.group()
def tokens() -> None:
    """Bearer tokens for the HTTP ingest gateway (stored hashed)."""


@tokens.command("issue")
@click.option("--agency-id", required=True, help="The agency's id, e.g. cleveland-police.")
@click.option("--kind", "agency_kind", required=True, help="Agency kind, e.g. POLICE, SCHOOL.")
@click.option("--event-type", "event_types", multiple=True, help="Narrow to these types.")
def tokens_issue(agency_id: str, agency_kind: str, event_types: tuple[str, ...]) -> None:
    """Issue a token for an agency: printed once, only its hash is kept. Restart the gateway."""
    import os
    from pathlib import Path

    from ops.paths import state_dir
    from streams.gateway.settings import PEPPER_FILE_NAME, TOKENS_FILE_NAME
    from streams.gateway.tokens import ensure_pepper, issue_token

    root = state_dir()
    tokens_file = Path(os.environ.get("HUB_GATEWAY_TOKENS_FILE", root / TOKENS_FILE_NAME))
    pepper_file = Path(os.environ.get("HUB_TOKEN_PEPPER_FILE", root / PEPPER_FILE_NAME))
    token = issue_token(
        tokens_file,
        ensure_pepper(pepper_file),
        agency_id=agency_id,
        agency_kind=agency_kind,
        event_types=event_types or None,
    )
    console.print(f"token for {agency_id} ({agency_kind}), shown once:\n{token}")


@main.command()
def worker() -> None:
    """Run the stream processors (a faust worker) in the foreground."""
    from streams.worker import main as run_worker

    run_worker()


@main.command()
@click.option("--children", default=300, show_default=True, help="Synthetic children.")
@click.option("--schools", default=12, show_default=True, help="Schools and settings.")
@click.option("--days", default=7, show_default=True, help="Days of history, ending today.")
@click.option("--seed", default=2026, show_default=True, help="Same seed, same people and events.")
def demo(children: int, schools: int, days: int, seed: int) -> None:
    """The main job: bring the stack up and stream a synthetic multi-agency week through it."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from ops.demo import run_demo

    with Progress(
        "publishing", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task("publish", total=None, start=False)

        def progress(done: int, total: int) -> None:
            bar.start_task(task)  # the clock starts with the first event, not with `hub up`
            bar.update(task, completed=done, total=total)

        try:
            report = run_demo(
                say=_say,
                progress=progress,
                children=children,
                schools=schools,
                days=days,
                seed=seed,
            )
        except StackError as exc:
            raise click.ClickException(str(exc)) from exc
    # Every event the simulator published is in the accepted read model exactly once.
    reconciled = report.accepted == report.published
    verdict = (
        "[green]reconciled: every published event is in the accepted read model once[/green]"
        if reconciled
        else "[red]NOT reconciled: see `hub status` and the logs[/red]"
    )
    console.print(
        f"\n[bold]{report.accepted}[/bold] of {report.published} published events accepted into "
        f"the log and projected in {report.seconds_to_catch_up}s; "
        f"{report.dead_lettered} dead-lettered during this run\n{verdict}"
    )
    table = Table("event type", "accepted")
    for event_type, count in report.accepted_by_type.items():
        table.add_row(event_type, str(count))
    console.print(table)
    if report.dead_letters_by_reason:
        console.print(f"dead letters by reason: {report.dead_letters_by_reason}")
    _where_to_look()
    if not reconciled:
        sys.exit(1)


_COUNT_BY_TYPE = "SELECT event_type, count(*) FROM accepted_events GROUP BY 1"
_DEAD_LETTERS = "SELECT reason, detail, source_topic FROM dead_letters"


def _psql(url: str, query: str) -> str:
    """A command line for the user to paste (shown, never run here)."""
    return f"psql \"{url}\" -c '{query}'"


def _where_to_look() -> None:
    import json

    endpoints = json.loads(stack.endpoints_file().read_text())
    root = endpoints["state_dir"]
    console.print("\n[bold]Where to look[/bold]")
    web = endpoints.get("urls", {}).get("api")
    if web:
        console.print(
            f"  sign in          {web}/login with a token from {endpoints['demo_logins']}"
        )
        console.print(f"  Key Adult        {web}/inbox (a school's morning alerts; acknowledge)")
        console.print(f"  social worker    {web}/referrals, {web}/notices (CP-IS access notices)")
        console.print(f"  everyone         {web}/report (the partnership's indicators)")
        console.print(f"  DPO              {web}/audit (every read of a child's record)")
    console.print(f"  endpoints        {stack.endpoints_file()}")
    console.print(f"  process logs     {root}/logs/ (worker.log, projector.log)")
    url = endpoints["postgres_url"]
    console.print(f"  read models      {_psql(url, _COUNT_BY_TYPE)}")
    console.print(f"  dead letters     {_psql(url, _DEAD_LETTERS)}")
    console.print(
        f"  the log itself   kcat -C -b {endpoints['kafka_bootstrap']} -t hub.log.accepted.v1 "
        "-e -f '%k %T\\n'"
    )
    console.print("  stop everything  .venv/bin/hub down")


def _register_tools() -> None:
    """Commands that live beside the code they drive."""
    from ops.bench.cli import bench
    from ops.cli_dead_letters import dead_letters
    from ops.cli_tools import publish, simulate
    from ops.report import report
    from projections.cli import projections, projector
    from projections.erasure.cli import erase, legal_hold, retention

    for command in (projector, projections, simulate, publish, bench, erase, legal_hold, retention):
        main.add_command(command)
    main.add_command(dead_letters)
    main.add_command(report)


_register_tools()

if __name__ == "__main__":
    main()
