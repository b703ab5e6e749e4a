"""Kill the projector process mid-stream, again and again: the read model must end up equal to
an uninterrupted run's, with every produced event exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from projections.model import Projection
from projections.runner import ProjectionRunner
from schemas.topics import ACCEPTED
from tests.conftest import Stack, running_stack
from tests.integration.test_projector import (
    Produced,
    accepted_rows_for,
    config,
    ends_now,
    instance,
    positions_of,
    produce_accepted,
    run_until,
    table_contents,
    wait_positions,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    """A private broker and database: these tests write tens of thousands of records straight
    into the accepted log, which the session's shared worker would otherwise have to digest."""
    with running_stack("hub-test-projector-") as private:
        yield private


RECORDS = 20_000
KILLS = 4


@pytest.fixture
def crashed(stack: Stack, unique_name: str) -> Iterator[Projection]:
    yield from instance(stack, "accepted_events", f"__{unique_name}")


@pytest.fixture
def steady(stack: Stack, unique_name: str) -> Iterator[Projection]:
    yield from instance(stack, "accepted_events", f"__{unique_name}_steady")


def _start(stack: Stack, suffix: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "HUB_KAFKA_BOOTSTRAP": stack.bootstrap,
        "HUB_POSTGRES_DSN": stack.dsn,
        "HUB_PROJECTION_MAX_BATCH": "1500",
        "HUB_PROJECTION_MAX_WAIT_MS": "100",
    }
    with log.open("ab") as handle:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "projections.runner",
                "--projection",
                "accepted_events",
                "--instance",
                suffix,
            ],
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=env,
        )


def _progress(stack: Stack, projection: str) -> int:
    return sum(positions_of(stack.dsn, projection).values())


def test_killing_the_projector_mid_batch_loses_and_doubles_nothing(
    stack: Stack,
    crashed: Projection,
    steady: Projection,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    suffix = crashed.name.removeprefix("accepted_events")
    log = tmp_path / "projector.log"
    produced: Produced = {}
    producing = threading.Thread(
        target=lambda: produced.update(produce_accepted(stack.bootstrap, RECORDS, chunk=1000))
    )
    producing.start()
    started = time.monotonic()
    proc = _start(stack, suffix, log)
    killed_at: list[int] = []
    try:
        for _kill in range(KILLS):
            # Kill once the process has committed something since it (re)started, so every
            # kill lands in a running projector with batches in flight.
            mark = _progress(stack, crashed.name)
            deadline = time.monotonic() + 120
            while _progress(stack, crashed.name) <= mark:
                assert proc.poll() is None, log.read_text()[-3000:]
                assert time.monotonic() < deadline, "the projector made no progress"
                time.sleep(0.02)
            killed_at.append(_progress(stack, crashed.name))
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            proc = _start(stack, suffix, log)
        producing.join(timeout=300)
        assert len(produced) == RECORDS
        ends = ends_now(stack.bootstrap, ACCEPTED)
        asyncio.run(wait_positions(stack.dsn, crashed.name, ends, timeout_s=240))
        elapsed = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=60)
    assert proc.returncode == 0, log.read_text()[-3000:]

    # The same log, projected without interruption, for comparison.
    asyncio.run(
        run_until(
            [ProjectionRunner(steady, config(stack))],
            lambda: wait_positions(stack.dsn, steady.name, ends, timeout_s=240),
        )
    )

    assert accepted_rows_for(stack.dsn, crashed.tables[0].name, produced) == produced
    interrupted = table_contents(stack.dsn, crashed.tables[0].name, ends)
    uninterrupted = table_contents(stack.dsn, steady.tables[0].name, ends)
    assert interrupted == uninterrupted
    # Every kill hit a projector with work left, and every restart resumed from a stored position.
    assert all(done < sum(ends.values()) for done in killed_at)
    assert log.read_text().count("started at") == KILLS + 1
    with capsys.disabled():
        print(
            f"\n[projector crash] {RECORDS} records produced and projected through {KILLS} "
            f"SIGKILLs in {elapsed:.1f}s; {len(interrupted)} rows equal to an uninterrupted run"
        )
