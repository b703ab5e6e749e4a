"""What handlers share: the application's keys and ``authenticate``, the one identity check."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Final

import orjson
from aiohttp import web

from projections.api.metrics import ApiMetrics
from projections.api.people import PeopleStore, Person
from projections.api.service import Hub
from projections.api.sessions import COOKIE, Session, decode
from streams.gateway.sink import EventSink

_BEARER: Final = re.compile(r"^Bearer +([A-Za-z0-9\-._~+/]{1,256}=*) *$", re.IGNORECASE)

HUB: Final = web.AppKey("hub", Hub)
PEOPLE: Final = web.AppKey("people", PeopleStore)
SESSION_KEY: Final = web.AppKey("session_key", bytes)
METRICS: Final = web.AppKey("metrics", ApiMetrics)
SINK: Final = web.AppKey("sink", EventSink)
SECURE_COOKIES: Final = web.AppKey("secure_cookies", bool)
PERSON: Final = web.RequestKey("person", Person)
SESSION: Final = web.RequestKey("session", Session)


def authenticate(request: web.Request) -> Person | None:
    """Who is asking: the one place identity is established (README: how OIDC plugs in here).

    A bearer token (API clients) or, for the web pages, the signed session cookie. Sets
    ``request[PERSON]`` (and ``request[SESSION]`` for a cookie) for the access log and forms.
    """
    person: Person | None = None
    header = request.headers.get("Authorization")
    if header is not None:
        match = _BEARER.match(header)
        person = request.app[PEOPLE].authenticate(match.group(1)) if match else None
    else:
        cookie = request.cookies.get(COOKIE)
        session = decode(cookie, request.app[SESSION_KEY], datetime.now(UTC)) if cookie else None
        if session is not None:
            person = request.app[PEOPLE].by_id(session.person_id)
            if person is not None:
                request[SESSION] = session
    if person is not None:
        request[PERSON] = person
    return person


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def json_response(
    data: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON answer; orjson because a long chronology's encoding was a tenth of its read."""
    return web.json_response(data, status=status, headers=headers, dumps=_dumps)


def json_error(status: int, code: str, message: str, **headers: str) -> web.Response:
    return json_response({"error": code, "message": message}, status=status, headers=headers)
