"""Typed settings of the read API, read from the environment at the composition root."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from projections.api.demo import PEPPER_FILE_NAME
from projections.api.people import PEOPLE_FILE_NAME
from streams.gateway.settings import KafkaClientSettings

DEFAULT_PORT: Final = 8080
DEFAULT_BIND: Final = "127.0.0.1"
SESSION_KEY_FILE_NAME: Final = "api-session-key"


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiSettings:
    """Where to listen, the database, the broker, the people file and the session key."""

    dsn: str
    kafka: KafkaClientSettings
    state_dir: Path
    people_file: Path
    pepper_file: Path
    session_key_file: Path
    bind: str = DEFAULT_BIND
    port: int = DEFAULT_PORT
    pool_min: int = 1
    pool_max: int = 8
    metrics_port: int = 0
    metrics_addr: str = "127.0.0.1"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ApiSettings:
        env = dict(os.environ if environ is None else environ)
        missing = [k for k in ("HUB_KAFKA_BOOTSTRAP", "HUB_POSTGRES_DSN") if not env.get(k)]
        if missing:
            raise RuntimeError(
                f"{', '.join(missing)} not set: start the API with `hub up`, which sets them, "
                "or export them (see .state/endpoints.json)"
            )
        state = Path(env.get("HUB_STATE_DIR", ".state"))
        password_file = env.get("HUB_KAFKA_PASSWORD_FILE")
        return cls(
            dsn=env["HUB_POSTGRES_DSN"],
            kafka=KafkaClientSettings(
                bootstrap=env["HUB_KAFKA_BOOTSTRAP"],
                security_protocol=env.get("HUB_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT"),
                sasl_mechanism=env.get("HUB_KAFKA_SASL_MECHANISM") or None,
                username=env.get("HUB_KAFKA_USERNAME") or None,
                password_file=Path(password_file) if password_file else None,
            ),
            state_dir=state,
            people_file=Path(env.get("HUB_API_PEOPLE_FILE", state / PEOPLE_FILE_NAME)),
            pepper_file=Path(env.get("HUB_API_PEPPER_FILE", state / PEPPER_FILE_NAME)),
            session_key_file=Path(
                env.get("HUB_API_SESSION_KEY_FILE", state / SESSION_KEY_FILE_NAME)
            ),
            bind=env.get("HUB_API_BIND", DEFAULT_BIND),
            port=int(env.get("HUB_API_PORT", str(DEFAULT_PORT))),
            pool_max=int(env.get("HUB_API_POOL_MAX", "8")),
            metrics_port=int(env.get("HUB_METRICS_PORT", "0")),
            metrics_addr=env.get("HUB_METRICS_ADDR", "127.0.0.1"),
        )
