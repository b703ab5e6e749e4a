"""Rebuild a projection from the start of its topics into fresh tables, then swap them in.

1. Capture each partition's (beginning, end) offsets: the rebuild's finish line.
2. Create ``<table>__rebuild`` like each live table but for its non-unique indexes, with no
   positions for ``<name>__rebuild``.
3. Run the projection under that name into those tables until every position reaches its end
   offset (the live projector keeps running and readers keep reading the live tables), then
   build the non-unique indexes over the loaded rows.
4. In one transaction: drop the live tables, rename the fresh ones into place, and make the
   fresh positions the live ones. The live runner's next batch finds its positions moved,
   re-seeks to them and carries on from there.

``rebuild_all`` rebuilds several projections side by side, one process each: replaying is
CPU-bound in Python (decoding and mapping), so only processes use more than one core.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from multiprocessing.sharedctypes import SynchronizedArray

from projections import registry, store, tables
from projections.model import TopicPartition
from projections.runner import ProjectionRunner, RunnerConfig, end_offsets

SUFFIX = "__rebuild"

# (records done, records to do) as the rebuild goes.
ProgressCallback = Callable[[int, int], None]
# (projection, records done, records to do), for rebuild_all.
ManyProgressCallback = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class RebuildResult:
    """What a rebuild did."""

    projection: str
    records: int
    seconds: float


async def rebuild_async(
    dsn: str,
    bootstrap: str,
    name: str,
    *,
    progress: ProgressCallback | None = None,
    instance: str = "",
    max_batch: int = 5000,
) -> RebuildResult:
    """Rebuild projection ``name`` (or its side-by-side ``instance``) and swap it in."""
    started = time.monotonic()
    live = registry.get(name).renamed(instance) if instance else registry.get(name)
    fresh = live.renamed(SUFFIX)
    bounds = await end_offsets(bootstrap, live.topics)
    stop_at = {tp: end for tp, (begin, end) in bounds.items() if end > begin}
    total = sum(end - bounds[tp][0] for tp, end in stop_at.items())

    def report(positions: Mapping[TopicPartition, int]) -> None:
        if progress is None:
            return
        done = 0
        for tp, end in stop_at.items():
            begin = bounds[tp][0]
            done += max(0, min(positions.get(tp, begin), end) - begin)
        progress(done, total)

    async with await store.connect(dsn, application_name=f"hub-rebuild:{name}") as conn:
        await tables.create_fresh(conn, live, fresh)
        report({})
        runner = ProjectionRunner(
            fresh,
            RunnerConfig(bootstrap=bootstrap, dsn=dsn, max_batch=max_batch),
            stop_at=stop_at,
            on_commit=report,
            observe_latency=False,
        )
        await runner.run()
        await tables.build_secondary_indexes(conn, live, fresh)
        await tables.swap_in(conn, live, fresh)
    return RebuildResult(projection=live.name, records=total, seconds=time.monotonic() - started)


def rebuild(
    dsn: str,
    bootstrap: str,
    name: str,
    *,
    progress: ProgressCallback | None = None,
    instance: str = "",
    max_batch: int = 5000,
) -> RebuildResult:
    """Blocking form of rebuild_async, for the command line and scripts."""
    return asyncio.run(
        rebuild_async(
            dsn, bootstrap, name, progress=progress, instance=instance, max_batch=max_batch
        )
    )


# A worker process's view of the parent's progress board: (done, total) per projection, in
# the order of rebuild_all's names.
_board: SynchronizedArray[int] | None = None


def _attach(board: SynchronizedArray[int]) -> None:
    global _board
    _board = board


def _rebuild_one(
    slot: int, dsn: str, bootstrap: str, name: str, instance: str, max_batch: int
) -> RebuildResult:
    def post(done: int, total: int) -> None:
        if _board is not None:
            _board[2 * slot], _board[2 * slot + 1] = done, total

    return rebuild(dsn, bootstrap, name, progress=post, instance=instance, max_batch=max_batch)


def rebuild_all(
    dsn: str,
    bootstrap: str,
    names: Sequence[str],
    *,
    workers: int | None = None,
    progress: ManyProgressCallback | None = None,
    instance: str = "",
    max_batch: int = 5000,
) -> list[RebuildResult]:
    """Rebuild ``names`` side by side in up to ``workers`` processes (default: one per core),
    each swapped in as soon as it is complete. Results in the order of ``names``; if one fails,
    the others already started still finish (each is its own swap) and the failure is raised.
    """
    workers = max(1, min(workers or os.cpu_count() or 1, len(names)))
    # Spawned, not forked: the caller may hold threads (a progress bar) and event loops.
    context = multiprocessing.get_context("spawn")
    board = context.Array("q", 2 * len(names))
    with ProcessPoolExecutor(workers, context, initializer=_attach, initargs=(board,)) as pool:
        futures: list[Future[RebuildResult]] = [
            pool.submit(_rebuild_one, i, dsn, bootstrap, name, instance, max_batch)
            for i, name in enumerate(names)
        ]
        pending: set[Future[RebuildResult]] = set(futures)
        while pending:
            _, pending = wait(pending, timeout=0.25, return_when=FIRST_EXCEPTION)
            if progress is not None:
                for i, name in enumerate(names):
                    progress(name, board[2 * i], board[2 * i + 1])
            if any(f.done() and f.exception() is not None for f in futures):
                break
    return [f.result() for f in futures]
