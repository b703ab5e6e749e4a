"""`hub bench --quick` end to end: it starts its own private stack, takes every figure, and
writes valid JSON and a plot. Figures are checked for shape and sign, never against timings."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ops.bench.report import TARGETS

# Runs with `make reliability` (2-3 minutes: over the suite's budget); `hub bench` itself was
# last run in full for the README's figures.
pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.reliability,
    pytest.mark.reliability_full,
]

PHASES = (
    "pipeline",
    "raw_consume",
    "faust_floor",
    "projection_writes",
    "read_api_one_user",
    "read_api",
    "read_api_floor",
    "latency_steady",
    "latency",
    "rebuild",
)


def _positive(value: object) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and value > 0


@pytest.mark.timeout(600)
def test_quick_bench_writes_its_results_and_plot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results"
    run = subprocess.run(
        [sys.executable, "-m", "ops.cli", "bench", "--quick", "--out-dir", str(out)],
        capture_output=True,
        text=True,
        timeout=580,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    latest = json.loads((out / "bench-latest.json").read_text())
    dated = sorted(out.glob("bench-2*.json"))
    assert len(dated) == 1
    assert json.loads(dated[0].read_text()) == latest
    assert (out / "bench-latest.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(out.glob("bench-2*.png")), "a dated plot"

    machine = latest["machine"]
    assert machine["cores"] >= 1
    assert machine["ram_bytes"] > 0
    assert machine["cpu_model"]
    assert latest["parameters"]["quick"] is True
    results = latest["results"]
    assert set(results) == set(PHASES)
    pipeline = results["pipeline"]
    assert pipeline["accepted"] == pipeline["events"] > 0
    assert pipeline["dead_letters_by_reason"] == {}, "simulated events are all valid"
    assert results["raw_consume"]["events"] == pipeline["events"]
    for phase, figure in [
        ("pipeline", "events_per_s"),
        ("raw_consume", "events_per_s"),
        ("projection_writes", "projector_rows_per_s"),
        ("projection_writes", "copy_rows_per_s"),
        ("projection_writes", "ratio"),
        ("rebuild", "events_per_s"),
        ("rebuild", "records_per_s"),
        ("read_api", "p50_ms"),
        ("read_api", "p99_ms"),
        ("latency", "p50_ms"),
        ("latency", "p99_ms"),
        ("latency_steady", "p99_ms"),
        ("faust_floor", "messages_per_s"),
        ("pipeline", "messages_written_per_event"),
        ("read_api_one_user", "p99_ms"),
        ("read_api_floor", "requests_per_s"),
        ("read_api_floor", "p99_ms"),
    ]:
        assert _positive(results[phase][figure]), (phase, figure, results[phase][figure])
    assert results["read_api"]["errors"] == 0
    # The floor served the API's own answer, byte for byte in length, without an error.
    assert results["read_api_floor"]["errors"] == 0
    assert (
        results["read_api_floor"]["answer_bytes"] > 100 * latest["parameters"]["chronology_entries"]
    )
    assert "read API floor: the same" in run.stdout
    assert results["read_api"]["entries"] >= latest["parameters"]["chronology_entries"]
    assert results["latency"]["seen"] == results["latency"]["probes"] > 0
    assert results["rebuild"]["events"] >= latest["parameters"]["rebuild_events"]
    assert results["rebuild"]["records"] > results["rebuild"]["events"]
    assert results["read_api"]["p99_ms"] >= results["read_api"]["p50_ms"]
    # Every event makes the worker write more than the accepted copy of itself.
    assert pipeline["messages_written_per_event"] > 1
    assert results["faust_floor"]["messages"] == pipeline["events"]
    ceilings = latest["ceilings"]
    assert ceilings["faust_events_per_s"] == pytest.approx(
        results["faust_floor"]["messages_per_s"] / pipeline["messages_written_per_event"], rel=0.01
    )
    assert ceilings["read_api_answers_per_s_needed_for_target"] == round(
        results["read_api"]["users"] / 0.050
    )
    assert "faust ceiling: about" in run.stdout

    checks = latest["targets"]
    assert [c["name"] for c in checks] == [t.name for t in TARGETS]
    assert all(isinstance(c["passed"], bool) and _positive(c["value"]) for c in checks)
    assert "pass" in run.stdout or "FAIL" in run.stdout
    with capsys.disabled():
        print(
            "\n[bench --quick] "
            + "; ".join(f"{c['name']}: {c['value']:,.1f} {c['unit']}" for c in checks)
        )
