"""`hub worker`: run the stream processors (a faust worker) against the configured broker."""

from __future__ import annotations

import sys

from prometheus_client import start_http_server

from streams.app import create_app
from streams.internal_topics import create_missing, internal_topics
from streams.logs import configure_logging, logging_config
from streams.settings import Settings


def main() -> None:
    """Start the faust worker; /metrics on HUB_METRICS_PORT when set."""
    configure_logging("worker")
    settings = Settings.from_env()
    if settings.metrics_port:
        start_http_server(settings.metrics_port, addr=settings.metrics_addr)
    app = create_app(settings)
    # faust (mode) replaces the root handlers when its worker starts: hand it the same set-up,
    # so its own lines are JSON too.
    app.conf.logging_config = logging_config("worker")
    # Before faust's consumer subscribes: see streams/internal_topics.py for the race this closes.
    create_missing(settings.kafka_bootstrap, internal_topics(app), settings.kafka_client_options())
    # --without-web: faust's worker command turns the web server back on by default, whatever
    # web_enabled says, and it would serve tables unauthenticated (and take port 6066).
    # --quiet: no banner on stdout (the log is JSON lines only).
    sys.argv = [sys.argv[0], "--quiet", "worker", "--loglevel=info", "--without-web"]
    app.main()


if __name__ == "__main__":
    main()
