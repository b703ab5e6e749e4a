"""Logging for the hub's HTTP services (the ingest gateway and the read API)."""

from __future__ import annotations

import logging
import sys


def configure_service_logging(access_logger: str) -> None:
    """Plain lines for the service log; the access log, already one JSON object per line,
    printed as it is on stdout."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    access = logging.getLogger(access_logger)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    access.addHandler(handler)
    access.propagate = False
