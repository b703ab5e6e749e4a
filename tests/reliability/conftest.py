"""One private hub (broker, PostgreSQL, worker, projector, gateway) for all reliability tests:
each test publishes its own people (its own seed) and reconciles by its own event ids."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.reliability.harness import WITH_GATEWAY, Hub, private_hub


@pytest.fixture(scope="session")
def hub() -> Iterator[Hub]:
    with private_hub(WITH_GATEWAY) as running:
        yield running


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``reliability_full`` run only with HUB_RELIABILITY_FULL=1 (`make
    reliability`): the default suite keeps its reduced versions under about three minutes."""
    if os.environ.get("HUB_RELIABILITY_FULL") == "1":
        return
    chosen: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        (dropped if item.get_closest_marker("reliability_full") else chosen).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = chosen
