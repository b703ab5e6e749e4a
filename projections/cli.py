"""Click commands for the projections, registered on `hub` by ops/cli.py:

main.add_command(projector)      # hub projector
main.add_command(projections)    # hub projections rebuild [NAME]
"""

from __future__ import annotations

import asyncio
import os
import time

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from projections import registry
from projections.rebuild import RebuildResult, rebuild, rebuild_all
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
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Projections rebuilt at once, one process each (default: one per core).",
)
def rebuild_command(name: str | None, workers: int | None) -> None:
    """Replay NAME (default: every projection) from the start of the log into fresh tables,
    then swap them in atomically; readers keep the old tables until the swap.

    DDL is needed: HUB_POSTGRES_OWNER_DSN is used when set, else HUB_POSTGRES_DSN.
    """
    config = _config()
    dsn = os.environ.get("HUB_POSTGRES_OWNER_DSN") or config.dsn
    names = [name] if name else list(registry.names())
    started = time.monotonic()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        tasks = {n: bar.add_task(n, total=None) for n in names}

        def show(projection: str, done: int, total: int) -> None:
            if total:
                bar.update(tasks[projection], completed=done, total=total)

        results: list[RebuildResult]
        if name:
            results = [rebuild(dsn, config.bootstrap, name, progress=lambda d, t: show(name, d, t))]
        else:
            results = rebuild_all(dsn, config.bootstrap, names, workers=workers, progress=show)
    for result in results:
        console.print(
            f"{result.projection}: {result.records} records replayed and swapped in "
            f"in {result.seconds:.1f}s"
        )
    if len(results) > 1:
        console.print(f"{len(results)} projections rebuilt in {time.monotonic() - started:.1f}s")
