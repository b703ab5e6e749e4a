"""`hub worker`: run the stream processors (a faust worker) against the configured broker."""

from __future__ import annotations

import sys

from prometheus_client import start_http_server

from streams.app import create_app
from streams.settings import Settings


def main() -> None:
    """Start the faust worker; /metrics on HUB_METRICS_PORT when set."""
    settings = Settings.from_env()
    if settings.metrics_port:
        start_http_server(settings.metrics_port, addr=settings.metrics_addr)
    app = create_app(settings)
    # --without-web: faust's worker command turns the web server back on by default, whatever
    # web_enabled says, and it would serve tables unauthenticated (and take port 6066).
    sys.argv = [sys.argv[0], "worker", "--loglevel=info", "--without-web"]
    app.main()


if __name__ == "__main__":
    main()
