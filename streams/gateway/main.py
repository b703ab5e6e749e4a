"""`python -m streams.gateway`: run the HTTP ingest gateway until SIGTERM or Ctrl-C."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web
from prometheus_client import REGISTRY, start_http_server

from streams.gateway.app import create_app
from streams.gateway.settings import GatewaySettings
from streams.gateway.sink import KafkaSink
from streams.gateway.tokens import TokenFileError, TokenStore
from streams.logs import configure_logging

log = logging.getLogger("streams.gateway")


async def serve(settings: GatewaySettings, store: TokenStore) -> None:
    """Listen until a stop signal, then stop taking requests and flush the producer."""
    sink = KafkaSink(settings.kafka)
    await sink.start()
    app = create_app(store, sink, registry=REGISTRY, max_body_bytes=settings.max_body_bytes)
    runner = web.AppRunner(app, access_log=None)  # our middleware writes the access log
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await web.TCPSite(runner, settings.bind, settings.port).start()
        log.info(
            "ingest gateway listening on http://%s:%d (%d tokens, Kafka %s)",
            settings.bind,
            settings.port,
            len(store),
            settings.kafka.bootstrap,
        )
        await stop.wait()
        log.info("stopping")
    finally:
        await runner.cleanup()
        await sink.close()


def main() -> None:
    """Read the settings and the token store from the environment, then serve."""
    configure_logging("gateway")
    settings = GatewaySettings.from_env()
    try:
        store = TokenStore.load(settings.tokens_file, settings.pepper_file)
    except TokenFileError as exc:
        raise SystemExit(
            f"gateway: {exc} (the local stack creates demo tokens at `hub up`)"
        ) from None
    if settings.metrics_port:
        start_http_server(settings.metrics_port, addr=settings.metrics_addr)
    asyncio.run(serve(settings, store))


if __name__ == "__main__":
    main()
