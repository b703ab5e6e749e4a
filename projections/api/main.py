"""`python -m projections.api`: run the read API and web pages until SIGTERM or Ctrl-C."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web
from prometheus_client import REGISTRY, start_http_server
from psycopg_pool import AsyncConnectionPool

from projections.api.app import create_app
from projections.api.people import PeopleStore
from projections.api.pg import PgReadModel
from projections.api.settings import ApiSettings
from streams.gateway.sink import KafkaSink
from streams.gateway.tokens import TokenFileError, ensure_pepper
from streams.logs import configure_logging

log = logging.getLogger("projections.api")


async def serve(settings: ApiSettings, people: PeopleStore) -> None:
    """Listen until a stop signal, then stop taking requests, flush the producer, close the pool."""
    sink = KafkaSink(settings.kafka)
    await sink.start()
    pool: AsyncConnectionPool = AsyncConnectionPool(
        settings.dsn,
        min_size=settings.pool_min,
        max_size=settings.pool_max,
        open=False,
        kwargs={"autocommit": True, "application_name": "hub-api"},
    )
    await pool.open()
    app = create_app(
        PgReadModel(pool),
        sink,
        people,
        session_key=ensure_pepper(settings.session_key_file),
        registry=REGISTRY,
        secure_cookies=settings.bind not in ("127.0.0.1", "localhost", "::1"),
    )
    runner = web.AppRunner(app, access_log=None)  # our middleware writes the access log
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await web.TCPSite(runner, settings.bind, settings.port).start()
        log.info(
            "read API listening on http://%s:%d (%d people)",
            settings.bind,
            settings.port,
            len(people),
        )
        await stop.wait()
        log.info("stopping")
    finally:
        await runner.cleanup()
        await sink.close()
        await pool.close()


def main() -> None:
    """Read the settings and the people store from the environment, then serve."""
    configure_logging("api")
    settings = ApiSettings.from_env()
    try:
        people = PeopleStore.load(settings.people_file, settings.pepper_file)
    except TokenFileError as exc:
        raise SystemExit(f"api: {exc} (the local stack creates demo logins at `hub up`)") from None
    if settings.metrics_port:
        start_http_server(settings.metrics_port, addr=settings.metrics_addr)
    asyncio.run(serve(settings, people))


if __name__ == "__main__":
    main()
