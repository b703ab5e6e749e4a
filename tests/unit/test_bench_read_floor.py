"""The read API beside its floor (the same answer from memory through the same framework): the
difference is what a read costs the hub, and the bench says so under its table."""

from __future__ import annotations

import pytest

from ops.bench.report import ceilings, explain

ONE = {"users": 1, "requests_per_s": 50.0, "p99_ms": 30.0}
MANY = {"users": 50, "requests_per_s": 80.0, "p50_ms": 600.0, "p99_ms": 700.0}
FLOOR = {"users": 50, "requests_per_s": 5000.0, "p99_ms": 12.5, "answer_bytes": 123_456}


def test_the_hubs_share_of_a_read_is_the_api_time_less_the_floors() -> None:
    found = ceilings({"read_api_one_user": ONE, "read_api": MANY, "read_api_floor": FLOOR})
    # 1000/80 = 12.5 ms per answer at 50 users, of which 1000/5000 = 0.2 ms is the framework's.
    assert found["read_api_hub_ms_per_read"] == pytest.approx(12.3)
    assert found["read_api_answers_per_s_needed_for_target"] == 1000


def test_without_a_floor_there_is_no_share_to_give() -> None:
    found = ceilings({"read_api_one_user": ONE, "read_api": MANY})
    assert "read_api_hub_ms_per_read" not in found
    assert found["read_api_service_ms"] == 20.0


def test_the_floor_is_explained_under_the_table() -> None:
    results = {"read_api_one_user": ONE, "read_api": MANY, "read_api_floor": FLOOR}
    lines = explain({"results": results, "ceilings": ceilings(results)})
    assert lines[-1] == (
        "read API floor: the same 123,456-byte answer from memory, same server and readers: "
        "5,000 answers/s, p99 12.5 ms; the hub's own work is 12.30 ms of each read"
    )
