"""Click commands for the projections, registered on `hub` by ops/cli.py:

main.add_command(projector)      # hub projector
main.add_command(projections)    # hub projections rebuild [NAME]
"""

from __future__ import annotations

import asyncio
import os

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from projections import registry
from projections.rebuild import rebuild
from projections.runner import RunnerConfig, run_all
from streams.logs import configure_logging

console = Console(highlight=False)


def _config() -> RunnerConfig:
    try:
        return RunnerConfig.from_env()
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc


@click.command()
@click.option(
    "--projection",
    "names",
    multiple=True,
    type=click.Choice(registry.names()),
    help="Run only these (default: all).",
)
def projector(names: tuple[str, ...]) -> None:
    """Run the projections continuously: topics -> PostgreSQL read models."""
    config = _config()
    configure_logging("projector")
    chosen = [registry.get(n) for n in names or registry.names()]
    port = int(os.environ.get("HUB_METRICS_PORT", "0"))
    asyncio.run(run_all(config, chosen, metrics_port=port))


@click.group()
def projections() -> None:
    """The read models in PostgreSQL: list and rebuild them."""


@projections.command("list")
def list_projections() -> None:
    """Name, topics and tables of every projection."""
    for p in registry.PROJECTIONS:
        tables = ", ".join(t.name for t in p.tables)
        console.print(f"[bold]{p.name}[/bold]  {', '.join(p.topics)} -> {tables}\n  {p.doc}")


@projections.command("rebuild")
@click.argument("name", required=False, type=click.Choice(registry.names()))
def rebuild_command(name: str | None) -> None:
    """Replay NAME (default: every projection) from the start of the log into fresh tables,
    then swap them in atomically; readers keep the old tables until the swap.

    DDL is needed: HUB_POSTGRES_OWNER_DSN is used when set, else HUB_POSTGRES_DSN.
    """
    config = _config()
    dsn = os.environ.get("HUB_POSTGRES_OWNER_DSN") or config.dsn
    for chosen in [name] if name else registry.names():
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as bar:
            task = bar.add_task(chosen, total=None)

            def show(done: int, total: int, task: object = task, bar: Progress = bar) -> None:
                bar.update(task, completed=done, total=total)  # type: ignore[arg-type]

            result = rebuild(dsn, config.bootstrap, chosen, progress=show)
        console.print(
            f"{result.projection}: {result.records} records replayed and swapped in "
            f"in {result.seconds:.1f}s"
        )
