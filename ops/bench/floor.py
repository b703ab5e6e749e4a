"""faust's own floor on this machine: one agent that consumes a message and produces it again.

Run side by side with the pipeline, it bounds what any faust pipeline can do here: an event that
makes the worker write M messages (each then consumed again by the next stage or a changelog)
cannot go faster than about floor / M events per second, however cheap the hub's own code.

The worker side runs as its own process (``python -m ops.bench.floor BOOTSTRAP IN OUT DATADIR``),
with the hub worker's producer and commit settings, so it pays what the hub's worker pays per
message.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kafka import KafkaAdminClient
from kafka.admin import NewTopic

from ops.bench.load import producer
from projections.runner import end_offsets
from schemas.topics import LOG_PARTITIONS

PARTITIONS = LOG_PARTITIONS  # as the hub's log topics


def floor_app(bootstrap: str, source: str, sink: str, datadir: Path) -> Any:
    """A faust app with one pass-through agent, processing as ``streams.app.create_app``;
    faust keeps its (empty) data directory in `datadir`, not the working directory."""
    import faust

    from streams.app import PROCESSING

    app = faust.App(
        f"hub-bench-floor-{source}",
        broker=f"kafka://{bootstrap}",
        store="memory://",
        datadir=str(datadir),
        autodiscover=False,
        **PROCESSING,
    )
    inbound = app.topic(source, key_serializer="raw", value_serializer="raw")
    outbound = app.topic(sink, key_serializer="raw", value_serializer="raw")

    @app.agent(inbound, name="pass-through")
    async def pass_through(stream: Any) -> None:
        async for event in stream.events():
            await outbound.send(key=event.key, value=event.value)

    return app


def main() -> None:
    from streams.logs import configure_logging, logging_config

    bootstrap, source, sink, datadir = sys.argv[1:5]
    # The worker's logging set-up: without it mode leaves aiokafka's debug lines on, and
    # formatting them costs a tenth of the floor.
    configure_logging("bench-floor", "WARNING")
    app = floor_app(bootstrap, source, sink, Path(datadir))
    app.conf.logging_config = logging_config("bench-floor", "WARNING")
    sys.argv = [sys.argv[0], "--quiet", "worker", "--loglevel=info", "--without-web"]
    app.main()


def _ends(bootstrap: str, topic: str) -> int:
    return sum(end for _b, end in asyncio.run(end_offsets(bootstrap, [topic])).values())


def _wait_for(
    bootstrap: str, topic: str, count: int, timeout_s: float, worker: subprocess.Popen[bytes]
) -> float:
    deadline = time.monotonic() + timeout_s
    while _ends(bootstrap, topic) < count:
        if worker.poll() is not None:
            raise RuntimeError(f"faust's floor worker exited with {worker.returncode}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"faust's floor agent passed fewer than {count} messages")
        time.sleep(0.05)
    return time.monotonic()


def measure(
    bootstrap: str, values: Sequence[bytes], *, log: Path, timeout_s: float = 600.0
) -> dict[str, Any]:
    """Messages per second through one faust pass-through agent (warmed up first)."""
    run = uuid.uuid4().hex[:8]
    source, sink = f"bench-floor-in-{run}", f"bench-floor-out-{run}"
    datadir = log.parent / f"bench-floor-{run}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="hub-bench-floor")
    try:
        admin.create_topics([NewTopic(t, PARTITIONS, 1) for t in (source, sink)])
    finally:
        admin.close()
    sender = producer(bootstrap)
    with log.open("ab") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "ops.bench.floor", bootstrap, source, sink, str(datadir)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        # Warm-up: the agent has joined its group and passes messages before the clock starts.
        for n in range(PARTITIONS * 10):
            sender.send(source, key=str(n).encode(), value=b"warm-up")
        sender.flush()
        _wait_for(bootstrap, sink, PARTITIONS * 10, 120, worker)
        started = time.monotonic()
        for n, value in enumerate(values):
            sender.send(source, key=str(n).encode(), value=value)
        sender.flush()
        finished = _wait_for(bootstrap, sink, PARTITIONS * 10 + len(values), timeout_s, worker)
    finally:
        sender.close()
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
    seconds = finished - started
    return {
        "messages": len(values),
        "seconds": round(seconds, 3),
        "messages_per_s": round(len(values) / seconds, 1),
    }


if __name__ == "__main__":
    main()
