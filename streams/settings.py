"""Typed settings for the hub's processes, read from the environment at the composition root."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Everything a hub process needs to know about where things are."""

    kafka_bootstrap: str
    postgres_dsn: str
    state_dir: Path
    app_id: str = "hub"
    # memory:// replays the changelog at every start; use rocksdb:// for long-running deployments.
    table_store: str = "memory://"
    metrics_port: int = 0  # 0: no /metrics listener (tests); production sets one per process
    metrics_addr: str = "127.0.0.1"  # containers set 0.0.0.0 so Prometheus can scrape them
    worker_concurrency: int = 1

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        missing = [k for k in ("HUB_KAFKA_BOOTSTRAP", "HUB_POSTGRES_DSN") if not env.get(k)]
        if missing:
            raise RuntimeError(
                f"{', '.join(missing)} not set: start the hub with `hub up`, which sets them, "
                "or export them (see .state/endpoints.json)"
            )
        return cls(
            kafka_bootstrap=env["HUB_KAFKA_BOOTSTRAP"],
            postgres_dsn=env["HUB_POSTGRES_DSN"],
            state_dir=Path(env.get("HUB_STATE_DIR", ".state")),
            app_id=env.get("HUB_APP_ID", "hub"),
            table_store=env.get("HUB_TABLE_STORE", "memory://"),
            metrics_port=int(env.get("HUB_METRICS_PORT", "0")),
            metrics_addr=env.get("HUB_METRICS_ADDR", "127.0.0.1"),
        )
