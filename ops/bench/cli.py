"""`hub bench`: registered on `hub` by ops/cli.py (``main.add_command(bench)``)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

console = Console(highlight=False)


@click.command("bench")
@click.option("--quick", is_flag=True, help="Tiny sizes: checks the harness end to end (~2 min).")
@click.option("--events", type=click.IntRange(min=100), default=None, help="Pipeline events.")
@click.option(
    "--rebuild-events",
    type=click.IntRange(min=0),
    default=None,
    help="Events added to the log before the rebuild [default 100,000; the issue's figure "
    "is 1000000, a separate run of several minutes].",
)
@click.option("--probes", type=click.IntRange(min=1), default=None, help="Latency probes.")
@click.option("--background-rate", type=float, default=None, help="Events/s during probes.")
@click.option(
    "--steady-rate",
    type=float,
    default=None,
    help="Events/s of the first latency run, a load the pipeline keeps up with [default 20].",
)
@click.option("--users", type=click.IntRange(min=1), default=None, help="Concurrent readers.")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option(
    "--out-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("results"),
    show_default=True,
    help="Where bench-<timestamp>.json, bench-latest.json and the plots go.",
)
def bench(
    quick: bool,
    events: int | None,
    rebuild_events: int | None,
    probes: int | None,
    background_rate: float | None,
    steady_rate: float | None,
    users: int | None,
    seed: int,
    out_dir: Path,
) -> None:
    """Measure the hub against its targets on a private broker and database (started and
    removed by the run): pipeline vs raw consume, alert latency, projection writes vs COPY,
    rebuild, read API. Writes JSON and a plot; prints the targets with pass / fail."""
    # Imported here: `hub` itself starts without the benchmark's clients and matplotlib.
    from ops.bench.report import explain, plot, table, write_results
    from ops.bench.run import BenchParameters, run_bench
    from ops.processes import StackError

    params = BenchParameters.quick_mode(seed) if quick else BenchParameters(seed=seed)
    overrides: dict[str, Any] = {
        "events": events,
        "rebuild_events": rebuild_events,
        "latency_probes": probes,
        "background_rate": background_rate,
        "steady_rate": steady_rate,
        "read_users": users,
    }
    params = dataclasses.replace(params, **{k: v for k, v in overrides.items() if v is not None})
    columns = (
        TextColumn("[bold]{task.description:<16}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as bar:
        tasks: dict[str, object] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total or None)
            bar.update(tasks[phase], completed=done, total=total or None)  # type: ignore[arg-type]

        try:
            document = run_bench(params, say=console.print, progress=progress)
        except (StackError, TimeoutError, RuntimeError) as exc:
            raise click.ClickException(f"the benchmark stopped: {exc}") from exc
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    dated, latest = write_results(document, out_dir, stamp)
    picture = plot(document, out_dir / f"bench-{stamp}.png")
    plot(document, out_dir / "bench-latest.png")
    console.print(table(document["targets"]))
    for line in explain(document):
        console.print(line)
    machine = document["machine"]
    console.print(
        f"machine: {machine['cores']} cores, {machine['cpu_model']}, {machine['ram_gib']} GiB; "
        f"load average at start {machine['load_average_at_start']}"
    )
    console.print(f"results: {dated} (and {latest.name}); plot: {picture}")
