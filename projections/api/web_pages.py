"""Server-rendered pages: sign in, the Key Adult's alert inbox, a child's chronology, the audit.

Plain HTML from Jinja2 templates (autoescaped), no JavaScript. Pages use the signed session
cookie; forms that change anything are POSTs carrying the session's CSRF token.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode

import jinja2
from aiohttp import web

from projections.api.access import LONDON
from projections.api.context import (
    HUB,
    PEOPLE,
    PERSON,
    SECURE_COOKIES,
    SESSION,
    SESSION_KEY,
    authenticate,
)
from projections.api.model import CP_PLAN, parse_alert_id
from projections.api.params import BadQuery, audit_query, flag, parse_filters
from projections.api.people import Person
from projections.api.render import local, report_sections
from projections.api.service import BadMonth, ChronologyRead, NotFound, ReasonRequired
from projections.api.sessions import COOKIE, MAX_AGE, csrf_ok, encode, new_session

_TEMPLATES: Final = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
_TEMPLATES.globals["local"] = local
AGENCY_KINDS: Final = (
    "POLICE",
    "SCHOOL",
    "EARLY_YEARS",
    "HEALTH",
    "SOCIAL_CARE",
    "LOCAL_AUTHORITY",
    "EARLY_HELP",
    "VOLUNTARY",
)
CHILD_PAGE: Final = "/children/{child_id}"


def redirect(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def page(request: web.Request, template: str, status: int = 200, **values: Any) -> web.Response:
    session = request.get(SESSION)
    context = {"person": request.get(PERSON), "csrf": session.csrf if session else "", **values}
    response = web.Response(
        text=_TEMPLATES.get_template(template).render(**context),
        content_type="text/html",
        status=status,
    )
    response.headers["Cache-Control"] = "no-store"  # personal data: never cached
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
    )
    return response


def error_page(request: web.Request, status: int, message: str) -> web.Response:
    title = {404: "Page not found", 400: "Check what you entered", 403: "Not allowed"}.get(
        status, "Something went wrong"
    )
    if status == 404:
        message = "There is nothing here, or nothing you may see."
    return page(request, "error.html", status=status, title=title, message=message)


def _person(request: web.Request) -> Person:
    """The signed-in person, from the session cookie only (a page never takes a bearer)."""
    if "Authorization" in request.headers:
        raise web.HTTPSeeOther("/login")
    person = authenticate(request)
    if person is None:
        raise web.HTTPSeeOther("/login")
    return person


async def _form(request: web.Request, person: Person) -> dict[str, str]:
    form = await request.post()
    session = request.get(SESSION)
    csrf = form.get("csrf")
    if session is None or not csrf_ok(session, csrf if isinstance(csrf, str) else None):
        raise web.HTTPForbidden(reason="The form has expired; go back, reload and try again.")
    return {k: v for k, v in form.items() if isinstance(v, str)}


async def login_form(request: web.Request) -> web.Response:
    return page(request, "login.html", error=None)


async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    token = form.get("token")
    person = request.app[PEOPLE].authenticate(token.strip()) if isinstance(token, str) else None
    if person is None:
        return page(request, "login.html", status=401, error="That token is not valid.")
    session = new_session(person.person_id, datetime.now(UTC))
    response = redirect("/")
    response.set_cookie(
        COOKIE,
        encode(session, request.app[SESSION_KEY]),
        httponly=True,
        samesite="Strict",
        secure=request.app[SECURE_COOKIES],
        max_age=int(MAX_AGE.total_seconds()),
        path="/",
    )
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    await _form(request, _person(request))
    response = redirect("/login")
    response.del_cookie(COOKIE, path="/")
    return response


async def home(request: web.Request) -> web.Response:
    person = _person(request)
    if person.is_auditor:
        raise web.HTTPSeeOther("/audit")
    hour = datetime.now(LONDON).hour
    greeting = "morning" if hour < 12 else "afternoon" if hour < 18 else "evening"
    return page(request, "home.html", greeting=greeting)


async def find_child(request: web.Request) -> web.Response:
    _person(request)
    child_id = request.query.get("child_id", "").strip()
    raise web.HTTPSeeOther(f"/children/{child_id}" if child_id else "/")


async def inbox(request: web.Request) -> web.Response:
    person = _person(request)
    if not person.alert_organisations:
        raise web.HTTPNotFound()
    hub = request.app[HUB]
    alerts = await hub.alerts(person, person.alert_organisations, endpoint="GET /inbox")
    acked = parse_alert_id(request.query.get("acknowledged", ""))
    return page(
        request,
        "inbox.html",
        alerts=alerts,
        organisations=", ".join(
            sorted({a.organisation_name or a.organisation_id or "" for a in alerts})
            or person.alert_organisations
        ),
        waiting=sum(1 for a in alerts if a.acknowledged_at is None),
        now=local(hub.clock()),
        acknowledged=acked[0] if acked else None,
        acknowledged_id=request.query.get("acknowledged"),
    )


async def acknowledge(request: web.Request) -> web.StreamResponse:
    person = _person(request)
    await _form(request, person)
    alert_id = request.match_info["alert_id"]
    try:
        await request.app[HUB].acknowledge(person, parse_alert_id(alert_id))
    except NotFound:
        raise web.HTTPNotFound() from None
    raise web.HTTPSeeOther(f"/inbox?{urlencode({'acknowledged': alert_id})}")


async def _read(request: web.Request, person: Person, *, printed: bool) -> ChronologyRead:
    query = request.query
    return await request.app[HUB].chronology(
        person,
        request.match_info["child_id"],
        filters=parse_filters(query),
        include_retracted=flag(query, "include_retracted"),
        printed=printed,
        reason=query.get("reason"),
        view="chronology_print" if printed else "chronology",
        endpoint=f"GET {CHILD_PAGE}/print" if printed else f"GET {CHILD_PAGE}",
    )


async def chronology(request: web.Request) -> web.Response:
    person = _person(request)
    child_id = request.match_info["child_id"]
    hub = request.app[HUB]
    try:
        if not request.query.get("reason", "").strip():
            await hub.check_child(person, child_id)
            return page(request, "reason.html", child_id=child_id, auditor=person.is_auditor)
        read = await _read(request, person, printed=False)
    except (NotFound, ReasonRequired):
        raise web.HTTPNotFound() from None
    except BadQuery as exc:
        return error_page(request, 400, str(exc))
    keep = {
        k: v
        for k, v in request.query.items()
        if k in ("reason", "from", "to", "category", "agency")
    }
    status = read.access.status
    return page(
        request,
        "chronology.html",
        child_id=child_id,
        entries=read.entries,
        reason=request.query.get("reason", ""),
        filters=parse_filters(request.query),
        include_retracted=flag(request.query, "include_retracted"),
        agencies=AGENCY_KINDS,
        print_query=urlencode({"reason": keep.get("reason", "")}),
        csv_query=urlencode({**keep, "format": "csv"}),
        child_status=None
        if status is None
        else ("on a child protection plan" if status == CP_PLAN else "looked after"),
    )


def printable(request: web.Request, person: Person, read: ChronologyRead) -> web.Response:
    """The printed chronology (curation honoured: excluded and struck entries left out)."""
    return page(
        request,
        "print.html",
        child_id=read.access.child_id,
        entries=read.entries,
        person=person,
        now=local(datetime.now(UTC)),
    )


async def print_page(request: web.Request) -> web.Response:
    person = _person(request)
    try:
        read = await _read(request, person, printed=True)
    except (NotFound, ReasonRequired):
        raise web.HTTPNotFound() from None
    except BadQuery as exc:
        return error_page(request, 400, str(exc))
    return printable(request, person, read)


async def audit(request: web.Request) -> web.Response:
    person = _person(request)
    try:
        entries = await request.app[HUB].audit(person, audit_query(request.query))
    except NotFound:
        raise web.HTTPNotFound() from None
    except BadQuery as exc:
        return error_page(request, 400, str(exc))
    return page(request, "audit.html", entries=entries, q=dict(request.query))


async def notices(request: web.Request) -> web.Response:
    person = _person(request)
    try:
        entries = await request.app[HUB].access_notices(person)
    except NotFound:
        raise web.HTTPNotFound() from None
    return page(request, "notices.html", entries=entries, team=person.team_id)


async def referrals(request: web.Request) -> web.Response:
    person = _person(request)
    try:
        found = await request.app[HUB].referrals(person, endpoint="GET /referrals")
    except NotFound:
        raise web.HTTPNotFound() from None
    return page(request, "referrals.html", shared=found.shared, ours=found.ours)


def _last_month(now: datetime) -> str:
    first = now.astimezone(LONDON).date().replace(day=1)
    previous = first - timedelta(days=1)
    return f"{previous:%Y-%m}"


async def report(request: web.Request) -> web.Response:
    person = _person(request)
    hub = request.app[HUB]
    month = request.query.get("month") or _last_month(hub.clock())
    try:
        rows = await hub.report(person, month)
    except BadMonth as exc:
        return error_page(request, 400, str(exc))
    return page(request, "report.html", month=month, sections=report_sections(rows))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/", home)
    app.router.add_get("/children", find_child)
    app.router.add_get("/inbox", inbox)
    app.router.add_post("/inbox/{alert_id}/ack", acknowledge)
    app.router.add_get(CHILD_PAGE, chronology)
    app.router.add_get(CHILD_PAGE + "/print", print_page)
    app.router.add_get("/audit", audit)
    app.router.add_get("/notices", notices)
    app.router.add_get("/referrals", referrals)
    app.router.add_get("/report", report)
