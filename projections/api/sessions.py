"""Web sessions: a signed cookie naming the person, with a CSRF token for the page's forms.

The cookie is ``<base64url JSON>.<HMAC-SHA256 hex>`` keyed by a server secret; it holds the
person id, when it was issued and the CSRF token, never the login token. It is HttpOnly,
SameSite=Strict and Secure unless served on loopback. Forms carry the CSRF token in a hidden
field and a POST is refused unless it equals the session's (double submit, signed).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

COOKIE: Final = "hub_session"
MAX_AGE: Final = timedelta(hours=10)  # a working day, then log in again


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    person_id: str
    issued_at: datetime
    csrf: str


def _mac(key: bytes, payload: bytes) -> str:
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def new_session(person_id: str, now: datetime) -> Session:
    return Session(person_id=person_id, issued_at=now, csrf=secrets.token_urlsafe(24))


def encode(session: Session, key: bytes) -> str:
    payload = json.dumps(
        {"p": session.person_id, "t": int(session.issued_at.timestamp()), "c": session.csrf},
        separators=(",", ":"),
    ).encode()
    body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"{body}.{_mac(key, body.encode())}"


def decode(value: str, key: bytes, now: datetime) -> Session | None:
    """The session in a cookie, or None if it is forged, malformed or expired."""
    body, _, mac = value.partition(".")
    if not body or not hmac.compare_digest(mac.encode(), _mac(key, body.encode()).encode()):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        issued = datetime.fromtimestamp(int(data["t"]), tz=now.tzinfo)
        session = Session(person_id=str(data["p"]), issued_at=issued, csrf=str(data["c"]))
    except (ValueError, KeyError, TypeError):
        return None
    if not (issued - timedelta(minutes=5) <= now <= issued + MAX_AGE):
        return None
    return session


def csrf_ok(session: Session, presented: str | None) -> bool:
    return presented is not None and hmac.compare_digest(session.csrf.encode(), presented.encode())
