"""Typed settings of the ingest gateway, read from the environment at the composition root."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

DEFAULT_PORT: Final = 8081
DEFAULT_BIND: Final = "127.0.0.1"
# Agency events are a few KiB; an IncidentRecorded with long narrative is well under this.
DEFAULT_MAX_BODY_BYTES: Final = 256 * 1024
TOKENS_FILE_NAME: Final = "gateway-tokens.json"
PEPPER_FILE_NAME: Final = "gateway-pepper"


@dataclass(frozen=True, slots=True, kw_only=True)
class KafkaClientSettings:
    """How the gateway's producer reaches the broker (SASL only in the compose deployment)."""

    bootstrap: str
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str | None = None
    username: str | None = None
    password_file: Path | None = None
    # How long one produce may take before the client is told 503 (and retries).
    send_timeout_s: float = 10.0


@dataclass(frozen=True, slots=True, kw_only=True)
class GatewaySettings:
    """Everything the gateway process needs: where to listen, the token store, the broker."""

    kafka: KafkaClientSettings
    state_dir: Path
    tokens_file: Path
    pepper_file: Path
    bind: str = DEFAULT_BIND
    port: int = DEFAULT_PORT
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    # 0: /metrics only on the gateway's own port; the compose deployment also sets one.
    metrics_port: int = 0
    metrics_addr: str = "127.0.0.1"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> GatewaySettings:
        env = dict(os.environ if environ is None else environ)
        if not env.get("HUB_KAFKA_BOOTSTRAP"):
            raise RuntimeError(
                "HUB_KAFKA_BOOTSTRAP not set: start the gateway with `hub up`, which sets it, "
                "or export it (see .state/endpoints.json)"
            )
        state = Path(env.get("HUB_STATE_DIR", ".state"))
        password_file = env.get("HUB_KAFKA_PASSWORD_FILE")
        return cls(
            kafka=KafkaClientSettings(
                bootstrap=env["HUB_KAFKA_BOOTSTRAP"],
                security_protocol=env.get("HUB_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT"),
                sasl_mechanism=env.get("HUB_KAFKA_SASL_MECHANISM") or None,
                username=env.get("HUB_KAFKA_USERNAME") or None,
                password_file=Path(password_file) if password_file else None,
            ),
            state_dir=state,
            tokens_file=Path(env.get("HUB_GATEWAY_TOKENS_FILE", state / TOKENS_FILE_NAME)),
            pepper_file=Path(env.get("HUB_TOKEN_PEPPER_FILE", state / PEPPER_FILE_NAME)),
            bind=env.get("HUB_GATEWAY_BIND", DEFAULT_BIND),
            port=int(env.get("HUB_GATEWAY_PORT", str(DEFAULT_PORT))),
            max_body_bytes=int(env.get("HUB_GATEWAY_MAX_BODY_BYTES", str(DEFAULT_MAX_BODY_BYTES))),
            metrics_port=int(env.get("HUB_METRICS_PORT", "0")),
            metrics_addr=env.get("HUB_METRICS_ADDR", "127.0.0.1"),
        )
