"""Rebuild a projection from the start of its topics into fresh tables, then swap them in.

1. Capture each partition's (beginning, end) offsets: the rebuild's finish line.
2. Create ``<table>__rebuild`` like each live table, with no positions for ``<name>__rebuild``.
3. Run the projection under that name into those tables until every position reaches its end
   offset (the live projector keeps running and readers keep reading the live tables).
4. In one transaction: drop the live tables, rename the fresh ones into place, and make the
   fresh positions the live ones. The live runner's next batch finds its positions moved,
   re-seeks to them and carries on from there.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from projections import registry, store, tables
from projections.model import TopicPartition
from projections.runner import ProjectionRunner, RunnerConfig, end_offsets

SUFFIX = "__rebuild"

# (records done, records to do) as the rebuild goes.
ProgressCallback = Callable[[int, int], None]


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
        )
        await runner.run()
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
