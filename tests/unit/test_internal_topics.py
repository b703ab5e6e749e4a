"""The worker's own topics are listed as faust would declare them, so they can exist first."""

from __future__ import annotations

from streams.app import create_app
from streams.internal_topics import internal_topics
from streams.settings import Settings


def test_the_app_lists_its_internal_spines_and_changelogs_and_nothing_shared() -> None:
    app = create_app(
        Settings.from_env({"HUB_KAFKA_BOOTSTRAP": "localhost:1", "HUB_POSTGRES_DSN": "x"})
    )
    topics = {t.name: t for t in internal_topics(app)}
    # The topic whose late creation left `accept-once` consuming nothing on a fresh cluster.
    assert topics["hub-screened"].partitions == 4
    assert topics["hub-by-child"].configs == {"retention.ms": "-1"}
    assert topics["hub-identity-input"].partitions == 1
    changelogs = [t for name, t in topics.items() if name.endswith("-changelog")]
    assert len(changelogs) == len(app.tables)
    assert all(t.configs["cleanup.policy"] == "compact" for t in changelogs)
    # Topics shared with other services are declared by `hub topics apply`, never by the worker.
    assert all(name.startswith("hub-") for name in topics)
