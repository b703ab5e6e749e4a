"""Sustained load: simulated events at a steady rate for a while, sampling the read models' lag
and every process's resident memory; afterwards the pipeline catches up and reconciles.

Reduced by default (HUB_RELIABILITY_LOAD_SECONDS=20 at HUB_RELIABILITY_LOAD_RATE=50);
`make reliability` runs the issue's 10 minutes at 2,000 events/s, which fails on the lag after
the 10 minutes (the pipeline sustains about 90/s); 10 minutes at 50/s passes.
"""

from __future__ import annotations

import threading
import time

import pytest

from ops.bench.load import accepted_count
from tests.reliability.harness import (
    Hub,
    lost_report,
    publish,
    reconcile,
    settle,
    simulated,
    size,
)

pytestmark = [pytest.mark.reliability, pytest.mark.integration, pytest.mark.slow]

SECONDS = size("LOAD_SECONDS", 20)
RATE = size("LOAD_RATE", 50)


def _rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


# Not in the default run: at reduced sizes it shows little the pipeline tests do not.
@pytest.mark.reliability_full
@pytest.mark.timeout(7200)
def test_steady_load_keeps_lag_bounded_and_memory_reported(
    hub: Hub, capsys: pytest.CaptureFixture[str]
) -> None:
    _events, messages = simulated(SECONDS * RATE, seed=301)
    messages = messages[: SECONDS * RATE]
    pids = {name: hub.pid(name) for name in ("worker", "projector")}
    assert all(pids.values())
    samples: list[tuple[float, int, dict[str, int]]] = []  # (t, lag in events, rss by process)
    sender = threading.Thread(target=publish, args=(hub, messages), kwargs={"rate": float(RATE)})
    before = accepted_count(hub.dsn)
    started = time.monotonic()
    sender.start()
    while sender.is_alive():
        elapsed = time.monotonic() - started
        sent = min(len(messages), int(elapsed * RATE))
        lag = max(0, sent - (accepted_count(hub.dsn) - before))
        samples.append((elapsed, lag, {n: _rss(p) for n, p in pids.items() if p}))
        time.sleep(1.0)
    sender.join()
    half = len(samples) // 2
    max_lag = max((s[1] for s in samples), default=0)
    lag_first = max((s[1] for s in samples[: max(1, half)]), default=0)
    lag_second = max((s[1] for s in samples[half:]), default=0)
    # Bounded lag: a rate the pipeline keeps up with leaves a lag that does not grow, one it
    # cannot leaves a lag growing with time (twice as high in the second half, at a steady
    # rate). Allowed: half as much again, plus five seconds of sending for the noise. Judged
    # before the drain, which at a rate out of reach would take hours.
    assert lag_second <= 1.5 * lag_first + 5 * RATE, (
        f"accepted lag grew from {lag_first} events (first half) to {lag_second} (second "
        f"half): {RATE}/s is not sustained"
    )
    lost = settle(hub, messages)
    drained = time.monotonic() - started - SECONDS
    peak = {n: hub.rss_bytes(n) for n in pids}
    first = {n: max(s[2][n] for s in samples[: max(1, half)]) for n in pids}
    second = {n: max(s[2][n] for s in samples[half:] or samples) for n in pids}
    result = reconcile(hub, messages)
    with capsys.disabled():
        print(
            f"\n[load] {len(messages)} events at {RATE}/s for {SECONDS}s; max accepted lag "
            f"{max_lag} events (first half {lag_first}, second half {lag_second}); drained "
            f"{drained:.1f}s after the last send\n"
            + "\n".join(
                f"  {n}: peak RSS {peak[n] / 2**20:.0f} MiB (max first half "
                f"{first[n] / 2**20:.0f} MiB, second half {second[n] / 2**20:.0f} MiB)"
                for n in pids
            )
            + f"\n{result.report('load')}"
        )
    assert lost == [], lost_report(hub, lost, messages)
    assert result.mismatches == []
    assert result.accepted_once == len(messages)
    assert all(hub.pid(n) == p for n, p in pids.items()), "no process died under load"
    assert all(peak[n] > 0 for n in pids)
    # The projector holds no state between batches: its memory stays flat. The worker's grows
    # with its tables (HUB_TABLE_STORE memory://: digests, indexes, placements per event), so
    # it is reported, not held flat (docs/BENCHMARKS.md has the figure per event).
    assert second["projector"] <= 1.2 * first["projector"] + 32 * 2**20, (
        f"the projector's RSS grew from {first['projector'] / 2**20:.0f} to "
        f"{second['projector'] / 2**20:.0f} MiB"
    )
