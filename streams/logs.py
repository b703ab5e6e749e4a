"""One logging set-up for every hub process: one JSON object per line, correlated by event_id.

Every process (the faust worker and faust's own loggers, the gateway, the projector, the read
API) calls ``configure_logging(process)`` at its entry point, or hands ``logging_config(process)``
to faust, which installs it itself. Each line carries ``ts``, ``level``, ``logger``, ``process``,
``message`` and, while an agent has a record in hand, that record's ``event_id`` (see
``record_in_hand``), so a dead letter, a warning and the event can be joined in a log search.

Never personal data: messages name types, fields, reasons and coordinates, not values, and an
exception is logged with its traceback frames and type names but without its message (which may
quote a value from the record being processed).
"""

from __future__ import annotations

import contextvars
import logging
import logging.config
import sys
import traceback
from types import TracebackType
from typing import Any, Final

from pythonjsonlogger.json import JsonFormatter

# The raw bytes of the record an agent is processing. The event_id is decoded from them only
# when a line is actually written, so the hot path pays one ContextVar.set per record.
_RECORD_IN_HAND: contextvars.ContextVar[bytes | None] = contextvars.ContextVar(
    "hub_record_in_hand", default=None
)
FIELDS: Final = ("ts", "level", "logger", "process", "message")


def record_in_hand(value: bytes | None) -> None:
    """Mark the encoded event the current task is processing (None: none)."""
    _RECORD_IN_HAND.set(value)


def _event_id(value: bytes) -> str | None:
    from schemas import codec

    try:
        return str(codec.decode(value).record["event_id"])
    except Exception:  # undecodable bytes carry no event_id to correlate by
        return None


class EventIdFilter(logging.Filter):
    """Adds ``event_id`` to a line written while an agent holds an event."""

    def filter(self, record: logging.LogRecord) -> bool:
        value = _RECORD_IN_HAND.get()
        if value is not None and not hasattr(record, "event_id"):
            event_id = _event_id(value)
            if event_id is not None:
                record.event_id = event_id
        return True


class HubJsonFormatter(JsonFormatter):
    """python-json-logger with the hub's field names and exceptions without their messages."""

    def __init__(self, *, process: str = "hub") -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "ts", "levelname": "level", "name": "logger"},
            static_fields={"process": process},
            datefmt="%Y-%m-%dT%H:%M:%S%z",
        )

    def formatException(self, ei: Any) -> str:
        """Frames and exception types only: an exception's message can quote record content."""
        exc_type, exc, _tb = ei
        if exc_type is None or exc is None:
            return ""
        parts: list[str] = []
        current: BaseException | None = exc
        while current is not None and len(parts) < 5:
            # File, line and function only: no source text, no locals, no message.
            frames = "".join(
                f'  File "{f.filename}", line {f.lineno}, in {f.name}\n'
                for f in traceback.extract_tb(current.__traceback__)
            )
            parts.append(f"{frames}{type(current).__module__}.{type(current).__qualname__}")
            current = current.__cause__ or current.__context__
        return "\n-- caused by / during --\n".join(reversed(parts))


def logging_config(process: str, level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for one process: JSON lines on stderr."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"event_id": {"()": EventIdFilter}},
        "formatters": {"json": {"()": HubJsonFormatter, "process": process}},
        "handlers": {
            "json": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "json",
                "filters": ["event_id"],
            }
        },
        "root": {"level": level, "handlers": ["json"]},
        # Access logs are INFO by design; the noisy client libraries only from WARNING.
        "loggers": {
            name: {"level": "WARNING"} for name in ("aiokafka", "kafka", "psycopg.pool", "asyncio")
        },
    }


def configure_logging(process: str, level: str = "INFO") -> None:
    """Install the JSON set-up for this process; warnings and uncaught exceptions go there too."""
    logging.config.dictConfig(logging_config(process, level))
    logging.captureWarnings(True)

    def log_uncaught(
        exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        logging.getLogger("hub").critical(
            "uncaught %s: the process stops", exc_type.__name__, exc_info=(exc_type, exc, tb)
        )

    sys.excepthook = log_uncaught
