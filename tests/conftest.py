"""Shared fixtures: one real Kafka broker and one real PostgreSQL for the whole test session.

They start only when an integration test asks for them, and a failure to start is an error,
never a skip: a missing broker must not pass for green.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from ops import kafka_broker, postgres
from ops.migrations import apply_migrations
from ops.paths import state_dir
from ops.topics import apply_topics


class Stack:
    """Endpoints of the session's broker and database."""

    def __init__(self, bootstrap: str, dsn: str, root: Path) -> None:
        self.bootstrap = bootstrap
        self.dsn = dsn
        self.root = root


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    """Start a private broker and cluster under a fresh directory; stop and remove them after."""
    # Not pytest's tmp_path: it is 0700 and the postgres user must reach the data directory.
    root = Path(tempfile.mkdtemp(prefix="hub-test-stack-"))
    os.chmod(root, 0o755)  # noqa: S103 (the postgres user must traverse it)
    jar_cache = state_dir() / "kafka-cache"  # shared with `hub up`: jars are fetched once
    broker = kafka_broker.start(root / "kafka", jar_cache=jar_cache)
    try:
        db = postgres.start(root / "postgres")
        try:
            apply_topics(broker.bootstrap)
            apply_migrations(db.dsn)
            yield Stack(broker.bootstrap, db.dsn, root)
        finally:
            postgres.stop(root / "postgres")
    finally:
        kafka_broker.stop(root / "kafka")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def unique_name() -> str:
    """A name no other test uses, for topics, groups and tables."""
    return f"t{uuid.uuid4().hex[:12]}"
