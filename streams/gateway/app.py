"""The gateway's aiohttp application: POST /v1/events, GET /healthz, GET /metrics.

Built by ``create_app`` from a token store, an event sink and a clock: no I/O at import time,
and unit tests pass a fake sink and a fixed clock. Every answer, errors included, is JSON;
the access log is one JSON object per request and never holds a body or a token.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Final

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from streams.gateway.admission import Refused, Status, admit
from streams.gateway.metrics import UNAUTHENTICATED, GatewayMetrics
from streams.gateway.sink import EventSink, SinkUnavailable
from streams.gateway.tokens import Agency, TokenStore

access_log = logging.getLogger("streams.gateway.access")
log = logging.getLogger(__name__)

EVENTS_PATH: Final = "/v1/events"
REALM: Final = 'Bearer realm="hub-ingest"'
RETRY_AFTER_S: Final = "5"
# RFC 6750 b64token; longer than any token we issue, short enough that hashing it is cheap.
_BEARER: Final = re.compile(r"^Bearer +([A-Za-z0-9\-._~+/]{1,256}=*) *$", re.IGNORECASE)

Clock = Callable[[], datetime]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

STORE: Final = web.AppKey("store", TokenStore)
SINK: Final = web.AppKey("sink", EventSink)
CLOCK: Final[web.AppKey[Clock]] = web.AppKey("clock")
METRICS: Final = web.AppKey("metrics", GatewayMetrics)
# What the access log and the metrics may say about a request, filled in by the handler.
AGENCY: Final = web.RequestKey("agency", Agency)
EVENT: Final = web.RequestKey("event", dict)


def error(
    status: int,
    code: str,
    message: str,
    *,
    problems: tuple[Any, ...] = (),
    headers: dict[str, str] | None = None,
) -> web.Response:
    """A JSON error: a stable code, a sentence, and for 422 the field problems."""
    body: dict[str, Any] = {"error": code, "message": message}
    if problems:
        body["problems"] = [{"field": p.field, "message": p.message} for p in problems]
    return web.json_response(body, status=status, headers=headers)


def _unauthorised(message: str, *, invalid: bool) -> web.Response:
    challenge = REALM + (', error="invalid_token"' if invalid else "")
    return error(401, "unauthorised", message, headers={"WWW-Authenticate": challenge})


def _refusal(refused: Refused) -> web.Response:
    return error(int(refused.status), refused.error, refused.message, problems=refused.problems)


async def post_event(request: web.Request) -> web.Response:
    """Authenticate, read, admit and produce one JSON event."""
    header = request.headers.get("Authorization")
    if header is None:
        return _unauthorised("send 'Authorization: Bearer <token>'", invalid=False)
    match = _BEARER.match(header)
    agency = request.app[STORE].authenticate(match.group(1)) if match else None
    if agency is None:
        return _unauthorised("the bearer token is not valid", invalid=True)
    request[AGENCY] = agency
    limit = request.client_max_size
    if request.content_length is not None and request.content_length > limit:
        return _too_large(limit)
    try:
        body = await request.read()  # aiohttp stops at client_max_size, chunked bodies too
    except web.HTTPRequestEntityTooLarge:
        return _too_large(limit)
    decision = admit(agency, body, now=request.app[CLOCK]())
    if isinstance(decision, Refused):
        request[EVENT] = {"event_type": decision.event_type, "refused": decision.error}
        return _refusal(decision)
    request[EVENT] = {"event_type": decision.event_type, "event_id": decision.event_id}
    try:
        await request.app[SINK].send(decision.topic, key=decision.key, value=decision.value)
    except SinkUnavailable as exc:
        log.warning("event not produced: %s", exc)
        return error(
            503,
            "kafka_unavailable",
            "the hub cannot store events right now; retry later with the same event_id",
            headers={"Retry-After": RETRY_AFTER_S},
        )
    request.app[METRICS].produced.labels(agency.agency_kind, decision.event_type).inc()
    return web.json_response({"event_id": decision.event_id}, status=int(Status.ACCEPTED))


def _too_large(limit: int) -> web.Response:
    return error(413, "body_too_large", f"the body must be at most {limit} bytes")


async def healthz(request: web.Request) -> web.Response:
    """Liveness: the process answers. ``kafka`` says whether the last produce or connect worked."""
    return web.json_response({"status": "ok", "kafka": request.app[SINK].connected})


async def metrics(request: web.Request) -> web.Response:
    """Prometheus exposition of the app's registry."""
    body = generate_latest(request.app[METRICS].registry)
    response = web.Response(body=body)
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response


def _http_error(exc: web.HTTPException) -> web.Response:
    """aiohttp's own refusals (404, 405, 413 while reading...) as JSON errors."""
    code = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}.get(
        exc.status, "http_error"
    )
    headers = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
    return error(exc.status, code, exc.reason, headers=headers)


@web.middleware
async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    """JSON errors, metrics and the access log around every request."""
    started = time.perf_counter()
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = _http_error(exc)
    except Exception as exc:
        # The type names the bug; the message could quote the body, so it stays out.
        log.exception("unhandled %s while answering %s", type(exc).__name__, request.path)
        response = error(500, "internal_error", "the gateway failed; this is a bug in the hub")
    elapsed = time.perf_counter() - started
    agency = request.get(AGENCY)
    if request.path == EVENTS_PATH:
        instruments = request.app[METRICS]
        kind = agency.agency_kind if agency else UNAUTHENTICATED
        instruments.requests.labels(str(response.status), kind).inc()
        instruments.duration.observe(elapsed)
    entry: dict[str, Any] = {
        "ts": datetime.now(UTC).isoformat(),
        "method": request.method,
        "path": request.path,  # never the query string
        "status": response.status,
        "duration_ms": round(elapsed * 1000, 2),
        "remote": request.remote,
    }
    if agency is not None:
        entry["agency_id"], entry["agency_kind"] = agency.agency_id, agency.agency_kind
    entry.update(request.get(EVENT) or {})
    access_log.info(entry)  # a dict: its keys become fields of the JSON line
    return response


def create_app(
    store: TokenStore,
    sink: EventSink,
    *,
    clock: Clock = lambda: datetime.now(UTC),
    registry: CollectorRegistry | None = None,
    max_body_bytes: int = 256 * 1024,
) -> web.Application:
    """The gateway application (the composition root wires the real store and sink)."""
    app = web.Application(middlewares=[observe], client_max_size=max_body_bytes)
    app[STORE] = store
    app[SINK] = sink
    app[CLOCK] = clock
    app[METRICS] = GatewayMetrics.create(registry or CollectorRegistry())
    app.router.add_post(EVENTS_PATH, post_event)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    return app
