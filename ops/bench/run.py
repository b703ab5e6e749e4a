"""One benchmark run: start the private stack, take every figure in order, return the document.

Order matters on a shared CPU: the pipeline drains its load first, then the raw consumer reads
the very same ingest messages while the processes idle; projection writes and the read API
follow; the latency phase adds its own background load; the rebuild runs last, with the worker
and the projector stopped so it has the machine to itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from ops.bench import floor, http_floor, phases
from ops.bench.env import machine_info, private_stack
from ops.bench.load import encode_all, scenario_for
from ops.bench.report import RESULTS_VERSION, ceilings, check_targets

# How long the latency run at the steady load may probe.
STEADY_BUDGET_S = 90.0

# (phase name, done, total): drives the progress bar.
PhaseProgress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class BenchParameters:
    """Sizes of a run. ``quick()`` is the harness check the tests run (figures meaningless)."""

    events: int = 20_000
    rebuild_events: int = 100_000
    latency_probes: int = 200
    background_rate: float = 1000.0
    # A steady background load the pipeline keeps up with on a 2-core machine.
    steady_rate: float = 20.0
    read_users: int = 50
    read_seconds: float = 20.0
    chronology_entries: int = 200
    projection_rows: int = 20_000
    probe_timeout_s: float = 30.0
    seed: int = 1
    quick: bool = False
    timeout_s: float = 900.0

    @classmethod
    def quick_mode(cls, seed: int = 1) -> BenchParameters:
        return cls(
            events=1_500,
            rebuild_events=1_000,
            latency_probes=5,
            background_rate=50.0,
            steady_rate=10.0,
            read_users=5,
            read_seconds=2.0,
            chronology_entries=20,
            projection_rows=1_000,
            # A loaded CI machine: a probe must be seen for the harness check to mean anything.
            probe_timeout_s=120.0,
            seed=seed,
            quick=True,
            timeout_s=300.0,
        )


def run_bench(
    params: BenchParameters, *, say: Callable[[str], None], progress: PhaseProgress
) -> dict[str, Any]:
    """Every phase on one private stack; the results document (see report.write_results)."""
    started_at = datetime.now(UTC)
    machine = machine_info()
    scenario = scenario_for(params.events, seed=params.seed)
    messages, refused = encode_all(scenario.events)
    # Background load for the latency phase: another simulated area (other people), enough
    # events to last the probes at the background rate.
    background_needed = int(params.background_rate * (params.latency_probes * 0.6 + 20))
    # The steady-load latency run goes first, on its own share.
    steady_share = int(params.steady_rate * STEADY_BUDGET_S)
    background_needed += steady_share
    background_scenario = scenario_for(background_needed, seed=params.seed + 1000)
    background, _ = encode_all(background_scenario.events)
    say(
        f"Simulated {len(messages)} events ({refused} refused locally) and "
        f"{len(background)} background events"
    )
    results: dict[str, Any] = {}
    timings: dict[str, float] = {}
    schools = scenario.manifest.schools + [
        s
        for s in background_scenario.manifest.schools
        if s["urn"] not in {x["urn"] for x in scenario.manifest.schools}
    ]
    began = time.monotonic()
    with private_stack(schools, say=say, seed=params.seed) as bench:
        timings["stack_up_s"] = round(time.monotonic() - began, 1)

        def step(name: str, run: Callable[[], dict[str, Any]]) -> None:
            t0 = time.monotonic()
            say(f"[bold]{name}[/bold] ...")
            results[name] = run()
            timings[f"{name}_s"] = round(time.monotonic() - t0, 1)

        step(
            "pipeline",
            lambda: phases.pipeline(
                bench,
                messages,
                progress=lambda d, t: progress("pipeline", d, t),
                timeout_s=params.timeout_s,
            ),
        )
        step("raw_consume", lambda: phases.raw_consume(bench, len(messages)))
        # The same message values through one faust pass-through agent: faust's own ceiling.
        step(
            "faust_floor",
            lambda: floor.measure(
                bench.bootstrap, [m.value for m in messages], log=bench.root / "floor.log"
            ),
        )
        step(
            "projection_writes",
            lambda: phases.projection_writes(bench, limit=params.projection_rows),
        )

        def read() -> dict[str, Any]:
            child = phases.seed_chronology(
                bench, scenario.events, params.chronology_entries, timeout_s=params.timeout_s
            )
            # One reader first: the service time of one read, which bounds what many can get.
            results["read_api_one_user"], _ = phases.read_api(
                bench,
                child,
                users=1,
                seconds=params.read_seconds / 2,
                progress=lambda d, t: progress("read_api 1 user", d, t),
            )
            many, answer = phases.read_api(
                bench,
                child,
                users=params.read_users,
                seconds=params.read_seconds,
                progress=lambda d, t: progress("read_api", d, t),
            )
            # The same answer from memory through the same server framework: the floor.
            results["read_api_floor"] = http_floor.measure(
                answer,
                users=params.read_users,
                seconds=params.read_seconds / 2,
                progress=lambda d, t: progress("read_api floor", d, t),
            )
            return many

        step("read_api", read)
        # First at a steady background load the pipeline sustains, so an alert's latency is a
        # figure even when the target's load is out of reach; then at the target's load, which
        # may leave a backlog behind it.
        step(
            "latency_steady",
            lambda: phases.latency(
                bench,
                scenario.events,
                background[:steady_share],
                probes=max(5, params.latency_probes // 4),
                rate=params.steady_rate,
                probe_timeout_s=params.probe_timeout_s,
                budget_s=STEADY_BUDGET_S,
                tag="S",
                progress=lambda d, t: progress("latency (steady)", d, t),
            ),
        )
        step(
            "latency",
            lambda: phases.latency(
                bench,
                scenario.events,
                background[steady_share:],
                probes=params.latency_probes,
                rate=params.background_rate,
                probe_timeout_s=params.probe_timeout_s,
                progress=lambda d, t: progress("latency", d, t),
            ),
        )

        def rebuild() -> dict[str, Any]:
            bench.stop_process("worker")
            bench.stop_process("projector")
            phases.fill_accepted_log(
                bench,
                scenario.events,
                params.rebuild_events,
                progress=lambda d, t: progress("filling the log", d, t),
            )
            return phases.rebuild(bench, progress=lambda d, t: progress("rebuild", d, t))

        step("rebuild", rebuild)
    return {
        "version": RESULTS_VERSION,
        "started_at": started_at.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "provisional": True,
        "note": "Taken on a machine shared with other work unless stated otherwise; ratios "
        "are measured side by side on the same broker and database.",
        "machine": machine,
        "parameters": asdict(params),
        "phase_seconds": timings,
        "results": results,
        "targets": check_targets(results),
        "ceilings": ceilings(results),
    }
