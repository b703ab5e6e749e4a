"""The OpenAPI 3.1 document served at /openapi.json (hand-written: it is the contract)."""

from __future__ import annotations

from typing import Any


def _param(
    name: str, where: str, doc: str, *, required: bool = False, **schema: Any
) -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "required": required or where == "path",
        "description": doc,
        "schema": schema or {"type": "string"},
    }


_ERRORS = {
    "401": {"description": "No valid bearer token."},
    "404": {"description": "No such resource, or not one this person may see (the same answer)."},
    "503": {"description": "The audit record could not be written, so nothing is shown; retry."},
}


def _op(summary: str, params: list[dict[str, Any]], ok: str, **extra: Any) -> dict[str, Any]:
    return {
        "summary": summary,
        "parameters": params,
        "security": [{"bearer": []}],
        "responses": {"200": {"description": ok}, **_ERRORS, **extra},
    }


def document() -> dict[str, Any]:
    urn = _param("urn", "path", "The school's URN (six digits, or EY and six digits).")
    child = _param("child_id", "path", "The hub child id.")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Safeguarding hub read API",
            "version": "1",
            "description": "Partners' read views. Every successful read of a child's record is "
            "written to the audit log (RecordViewed on hub.log.audit.v1) before it is answered. "
            "Anything a person may not see answers 404, exactly as if it did not exist.",
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "paths": {
            "/v1/me": {"get": _op("Who the token speaks for.", [], "The person.")},
            "/v1/alerts": {
                "get": _op(
                    "The person's Operation Encompass inbox (any of their organisations).",
                    [],
                    "Notifications, unacknowledged first, by deadline.",
                )
            },
            "/v1/schools/{urn}/alerts": {
                "get": _op(
                    "A school's Operation Encompass inbox: its Key Adult only.",
                    [urn],
                    "Notifications with allow-listed content; each child shown is audited.",
                )
            },
            "/v1/schools/{urn}/alerts/{alert_id}/ack": {
                "post": _op(
                    "Acknowledge a notification (EncompassNotificationAcknowledged).",
                    [urn, _param("alert_id", "path", "The notification's id from the inbox.")],
                    "Already acknowledged.",
                    **{"202": {"description": "Acknowledgement written to the log."}},
                )
            },
            "/v1/children/{child_id}/chronology": {
                "get": _op(
                    "A child's chronology, as this person may see it.",
                    [
                        child,
                        _param(
                            "reason", "query", "Why you are reading it (audited).", required=True
                        ),
                        _param(
                            "from",
                            "query",
                            "First day (YYYY-MM-DD, Europe/London).",
                            format="date",
                            type="string",
                        ),
                        _param("to", "query", "Last day, inclusive.", format="date", type="string"),
                        _param("category", "query", "Only entries of this category."),
                        _param("agency", "query", "Only entries from this agency id or kind."),
                        _param(
                            "include_retracted",
                            "query",
                            "Superseded and retracted versions too (auditors only).",
                            type="boolean",
                        ),
                        _param(
                            "format",
                            "query",
                            "json, csv, or print (HTML honouring curation).",
                            enum=["json", "csv", "print"],
                            type="string",
                        ),
                    ],
                    "Entries in the order they happened.",
                    **{
                        "400": {"description": "No reason stated, or a filter that does not parse."}
                    },
                )
            },
            "/v1/children/{child_id}/accesses": {
                "get": _op(
                    "The last reads of a child's record (the child's social worker).",
                    [child],
                    "Audit entries, newest first.",
                )
            },
            "/v1/access-notices": {
                "get": _op(
                    "Reads of the records of children on a CP plan or looked after for whom the"
                    " person's team is responsible (as CP-IS tells the team); social workers only.",
                    [],
                    "Audit entries naming the team, newest first.",
                )
            },
            "/v1/referrals": {
                "get": _op(
                    "Referrals and outcomes shared with the person, with timer status.",
                    [],
                    "Referrals shared with the person (by child; timer from the hub's referral"
                    " timers: decided, open, overdue, outcome_received; `hub_status` the"
                    " referrals projection's row) and `ours`: those the person's organisation made,"
                    " receives or is allocated (ids, status, RAG, outcome, overdue; no child).",
                )
            },
            "/v1/report": {
                "get": _op(
                    "The partnership's indicators for a month: counts only, fewer than 5 as <5.",
                    [
                        _param("month", "query", "YYYY-MM (Europe/London).", required=True),
                        _param(
                            "format",
                            "query",
                            "json or csv (the board pack).",
                            enum=["json", "csv"],
                            type="string",
                        ),
                    ],
                    "Rows of (month, indicator, agency, dimension, value).",
                    **{"400": {"description": "The month is not YYYY-MM."}},
                )
            },
            "/v1/audit": {
                "get": _op(
                    "The audit log of record views (DPO only).",
                    [
                        _param("child_id", "query", "Only this child."),
                        _param("viewer_id", "query", "Only this person."),
                        _param("organisation_id", "query", "Only this organisation."),
                        _param("from", "query", "From this day.", format="date", type="string"),
                        _param("to", "query", "Before this day.", format="date", type="string"),
                        _param("limit", "query", "At most this many (1-1000).", type="integer"),
                    ],
                    "Record views, newest first.",
                )
            },
            "/healthz": {
                "get": {"summary": "Liveness.", "responses": {"200": {"description": "ok"}}}
            },
            "/metrics": {
                "get": {
                    "summary": "Prometheus metrics.",
                    "responses": {"200": {"description": "text"}},
                }
            },
        },
    }
