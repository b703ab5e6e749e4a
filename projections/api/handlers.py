"""JSON endpoints under /v1, and /openapi.json. Authorisation failures are 404, never 403."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Final

from aiohttp import web

from projections.api.access import may_read_school_alerts
from projections.api.context import HUB, authenticate, json_error, json_response
from projections.api.model import parse_alert_id
from projections.api.openapi import document
from projections.api.params import BadQuery, audit_query, flag, parse_filters
from projections.api.people import Person
from projections.api.render import (
    alert_json,
    audit_json,
    chronology_csv,
    chronology_json,
    referral_json,
    referral_state_json,
)
from projections.api.service import BadMonth, NotFound, ReasonRequired
from projections.api.web_pages import printable
from projections.reporting.indicators import to_csv

REALM: Final = 'Bearer realm="hub-read-api"'
CHRONOLOGY: Final = "/v1/children/{child_id}/chronology"
SCHOOL_ALERTS: Final = "/v1/schools/{urn}/alerts"
ACK: Final = "/v1/schools/{urn}/alerts/{alert_id}/ack"

Authed = Callable[[web.Request, Person], Awaitable[web.StreamResponse]]


def authed(handler: Authed) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """401 without a valid bearer token; 404 for NotFound; 400 for a bad query."""

    async def wrapper(request: web.Request) -> web.StreamResponse:
        person = authenticate(request)
        if person is None:
            return json_error(
                401,
                "unauthorised",
                "send 'Authorization: Bearer <token>'",
                **{"WWW-Authenticate": REALM},
            )
        try:
            return await handler(request, person)
        except NotFound:
            return json_error(404, "not_found", "no such resource")
        except BadQuery as exc:
            return json_error(400, "bad_query", str(exc))
        except ReasonRequired:
            return json_error(
                400, "reason_required", "state why you are reading this record: ?reason=..."
            )

    return wrapper


async def me(request: web.Request, person: Person) -> web.Response:
    return json_response(person.to_json())


async def my_alerts(request: web.Request, person: Person) -> web.Response:
    found = await request.app[HUB].alerts(
        person, person.alert_organisations, endpoint="GET /v1/alerts"
    )
    return json_response({"alerts": [alert_json(a) for a in found]})


async def school_alerts(request: web.Request, person: Person) -> web.Response:
    urn = request.match_info["urn"]
    found = await request.app[HUB].school_alerts(person, urn, endpoint=f"GET {SCHOOL_ALERTS}")
    return json_response({"urn": urn, "alerts": [alert_json(a, urn) for a in found]})


async def acknowledge(request: web.Request, person: Person) -> web.Response:
    urn = request.match_info["urn"]
    if not may_read_school_alerts(person, urn):
        raise NotFound
    key = parse_alert_id(request.match_info["alert_id"])
    alert, sent = await request.app[HUB].acknowledge(person, key)
    if alert.organisation_id != urn:
        raise NotFound
    body = {"id": alert.alert_id, "status": "acknowledgement_sent" if sent else "acknowledged"}
    if not sent and alert.acknowledged_at is not None:
        body["acknowledged_at"] = alert.acknowledged_at.isoformat()
    return json_response(body, status=202 if sent else 200)


async def chronology(request: web.Request, person: Person) -> web.StreamResponse:
    query = request.query
    fmt = query.get("format", "json")
    if fmt not in ("json", "csv", "print"):
        raise BadQuery("format: expected json, csv or print")
    child_id = request.match_info["child_id"]
    read = await request.app[HUB].chronology(
        person,
        child_id,
        filters=parse_filters(query),
        include_retracted=flag(query, "include_retracted"),
        printed=fmt == "print",
        reason=query.get("reason"),
        view={"json": "chronology", "csv": "chronology_csv", "print": "chronology_print"}[fmt],
        endpoint=f"GET {CHRONOLOGY}",
    )
    if fmt == "csv":
        return web.Response(
            text=chronology_csv(read),
            content_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="chronology-{child_id}.csv"'},
        )
    if fmt == "print":
        return printable(request, person, read)
    return json_response(chronology_json(read))


async def accesses(request: web.Request, person: Person) -> web.Response:
    found = await request.app[HUB].accesses(person, request.match_info["child_id"])
    return json_response({"accesses": [audit_json(a) for a in found]})


async def access_notices(request: web.Request, person: Person) -> web.Response:
    found = await request.app[HUB].access_notices(person)
    return json_response({"team_id": person.team_id, "notices": [audit_json(a) for a in found]})


async def referrals(request: web.Request, person: Person) -> web.Response:
    found = await request.app[HUB].referrals(person, endpoint="GET /v1/referrals")
    return json_response(
        {
            "referrals": [referral_json(v) for v in found.shared],
            "ours": [referral_state_json(s) for s in found.ours],
        }
    )


async def report(request: web.Request, person: Person) -> web.Response:
    month = request.query.get("month", "")
    try:
        rows = await request.app[HUB].report(person, month)
    except BadMonth as exc:
        return json_error(400, "bad_month", str(exc))
    if request.query.get("format") == "csv":
        return web.Response(
            text=to_csv(rows),
            content_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="indicators-{month}.csv"'},
        )
    return json_response({"month": month, "rows": [dataclasses.asdict(r) for r in rows]})


async def audit(request: web.Request, person: Person) -> web.Response:
    found = await request.app[HUB].audit(person, audit_query(request.query))
    return json_response({"audit": [audit_json(a) for a in found]})


async def openapi(request: web.Request) -> web.Response:
    return json_response(document())


def add_routes(app: web.Application) -> None:
    app.router.add_get("/openapi.json", openapi)
    app.router.add_get("/v1/me", authed(me))
    app.router.add_get("/v1/alerts", authed(my_alerts))
    app.router.add_get(SCHOOL_ALERTS, authed(school_alerts))
    app.router.add_post(ACK, authed(acknowledge))
    app.router.add_get(CHRONOLOGY, authed(chronology))
    app.router.add_get("/v1/children/{child_id}/accesses", authed(accesses))
    app.router.add_get("/v1/access-notices", authed(access_notices))
    app.router.add_get("/v1/referrals", authed(referrals))
    app.router.add_get("/v1/report", authed(report))
    app.router.add_get("/v1/audit", authed(audit))
