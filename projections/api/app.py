"""The read API's aiohttp application: JSON under /v1, web pages, /healthz, /metrics.

Built by ``create_app`` from a read model, an event sink, a people store, a session key and a
clock: no I/O at import time; unit tests pass fakes. The access log is one JSON object per
request and never holds a query string, a token or a child id.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from projections.api import handlers, web_pages
from projections.api.context import (
    HUB,
    METRICS,
    PEOPLE,
    PERSON,
    SECURE_COOKIES,
    SESSION_KEY,
    SINK,
    json_error,
    json_response,
)
from projections.api.events import Recorder
from projections.api.metrics import ApiMetrics
from projections.api.model import ReadModel
from projections.api.people import PeopleStore
from projections.api.service import Hub
from streams.gateway.sink import EventSink, SinkUnavailable

access_log = logging.getLogger("projections.api.access")
log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _route(request: web.Request) -> str:
    """The route template (e.g. /v1/children/{child_id}/chronology): a label without data."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


def _wants_html(request: web.Request) -> bool:
    return not request.path.startswith("/v1/") and request.path not in ("/healthz", "/metrics")


@web.middleware
async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Errors (JSON for the API, HTML for pages), metrics and the access log."""
    started = time.perf_counter()
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status in (301, 302, 303, 307, 308):
            response = web.Response(
                status=exc.status, headers={"Location": exc.headers.get("Location", "/")}
            )
        elif _wants_html(request):
            response = web_pages.error_page(request, exc.status, exc.reason)
        else:
            code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status, "http_error")
            response = json_error(exc.status, code, exc.reason)
    except SinkUnavailable as exc:
        log.warning("audit or acknowledgement not written: %s", exc)
        request.app[METRICS].audit_failed.labels(f"{request.method} {_route(request)}").inc()
        message = "the hub cannot record this read right now, so it is not shown; retry shortly"
        response = (
            web_pages.error_page(request, 503, message)
            if _wants_html(request)
            else json_error(503, "audit_unavailable", message, **{"Retry-After": "5"})
        )
    except Exception as exc:
        log.exception("unhandled %s while answering %s", type(exc).__name__, _route(request))
        response = json_error(500, "internal_error", "the read API failed; this is a bug")
    elapsed = time.perf_counter() - started
    endpoint = f"{request.method} {_route(request)}"
    request.app[METRICS].duration.labels(endpoint, str(response.status)).observe(elapsed)
    entry: dict[str, Any] = {
        "ts": datetime.now(UTC).isoformat(),
        "method": request.method,
        "route": _route(request),  # the template: never ids or the query string
        "status": response.status,
        "duration_ms": round(elapsed * 1000, 2),
        "remote": request.remote,
    }
    person = request.get(PERSON)
    if person is not None:
        entry["person_id"], entry["role"] = person.person_id, person.role.value
    access_log.info(entry)  # a dict: its keys become fields of the JSON line
    return response


async def healthz(request: web.Request) -> web.Response:
    return json_response({"status": "ok", "kafka": request.app[SINK].connected})


async def metrics(request: web.Request) -> web.Response:
    response = web.Response(body=generate_latest(request.app[METRICS].registry))
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response


def create_app(
    read_model: ReadModel,
    sink: EventSink,
    people: PeopleStore,
    *,
    session_key: bytes,
    clock: Clock = lambda: datetime.now(UTC),
    registry: CollectorRegistry | None = None,
    secure_cookies: bool = False,
) -> web.Application:
    """The read API and web pages (the composition root wires the real pool and producer)."""
    app = web.Application(middlewares=[observe], client_max_size=64 * 1024)
    instruments = ApiMetrics.create(registry or CollectorRegistry())
    app[METRICS] = instruments
    app[SINK] = sink
    app[PEOPLE] = people
    app[SESSION_KEY] = session_key
    recorder = Recorder(sink, on_audit=lambda view: instruments.audit_written.labels(view).inc())
    app[HUB] = Hub(read_model=read_model, recorder=recorder, clock=clock)
    app[SECURE_COOKIES] = secure_cookies
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    handlers.add_routes(app)
    web_pages.add_routes(app)
    return app
