"""Typed settings for the hub's processes, read from the environment at the composition root."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def read_identity_key(env: Mapping[str, str]) -> str:
    """HUB_IDENTITY_KEY, or the contents of the file HUB_IDENTITY_KEY_FILE names (a compose
    secret); empty when neither is set (the identity stage then uses its development key)."""
    path = env.get("HUB_IDENTITY_KEY_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return env.get("HUB_IDENTITY_KEY", "")


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
    # HMAC key of the identity index (HUB_IDENTITY_KEY or HUB_IDENTITY_KEY_FILE): fixed for the
    # life of a deployment. None: the identity stage's DEVELOPMENT-ONLY key (synthetic data only).
    identity_key: bytes | None = None
    # SASL/SCRAM to Kafka in the compose deployment; PLAINTEXT on the local stack.
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = None
    kafka_username: str | None = None
    kafka_password_file: Path | None = None

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
            identity_key=read_identity_key(env).encode() or None,
            kafka_security_protocol=env.get("HUB_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT"),
            kafka_sasl_mechanism=env.get("HUB_KAFKA_SASL_MECHANISM") or None,
            kafka_username=env.get("HUB_KAFKA_USERNAME") or None,
            kafka_password_file=Path(password)
            if (password := env.get("HUB_KAFKA_PASSWORD_FILE"))
            else None,
        )

    def kafka_client_options(self) -> dict[str, Any]:
        """aiokafka keyword arguments for the broker's security (empty on the local stack)."""
        if not self.kafka_sasl_mechanism:
            return {}
        password = self.kafka_password_file.read_text().strip() if self.kafka_password_file else ""
        return {
            "security_protocol": self.kafka_security_protocol,
            "sasl_mechanism": self.kafka_sasl_mechanism,
            "sasl_plain_username": self.kafka_username,
            "sasl_plain_password": password,
        }

    def faust_credentials(self) -> Any:
        """faust's broker_credentials for SASL/SCRAM (None on the local stack)."""
        if not self.kafka_sasl_mechanism:
            return None
        import ssl

        import faust

        options = self.kafka_client_options()
        tls = self.kafka_security_protocol == "SASL_SSL"
        return faust.SASLCredentials(
            username=options["sasl_plain_username"],
            password=options["sasl_plain_password"],
            mechanism=self.kafka_sasl_mechanism,
            ssl_context=ssl.create_default_context() if tls else None,
        )
