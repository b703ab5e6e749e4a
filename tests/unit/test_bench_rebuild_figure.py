"""The rebuild target is judged in log events per second, not in records read by all the
projections (each reads an event once per projection that wants its topic)."""

from __future__ import annotations

from ops.bench.report import check_targets, explain

# The 24 November run's shape: 1,002,024 log events; five projections read the accepted log.
REBUILD = {
    "events": 1_002_024,
    "records": 5_033_528,
    "seconds": 155.753,
    "events_per_s": 6433.4,
    "records_per_s": 32317.4,
    "by_projection": {f"p{i}": {"records": 1, "seconds": 1.0} for i in range(11)},
}


def test_the_rebuild_target_reads_log_events_per_second() -> None:
    (check,) = check_targets({"rebuild": REBUILD})
    assert (check["value"], check["unit"], check["passed"]) == (6433.4, "events/s", False)
    fast = {**REBUILD, "events_per_s": 20_000.0}
    assert check_targets({"rebuild": fast})[0]["passed"]


def test_the_records_figure_is_explained_beside_it() -> None:
    (line,) = explain({"results": {"rebuild": REBUILD}})
    assert line == (
        "rebuild: 1,002,024 log events through 11 projections in 156 s; 5,033,528 records read, "
        "32,317/s (an event counts once per projection that reads it)"
    )


def test_a_side_by_side_rebuild_says_how_many_ran_at_a_time() -> None:
    (line,) = explain({"results": {"rebuild": {**REBUILD, "workers": 2}}})
    assert line.startswith(
        "rebuild: 1,002,024 log events through 11 projections (2 at a time) in 156 s;"
    )
