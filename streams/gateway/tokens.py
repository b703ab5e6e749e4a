"""Agency bearer tokens: issued once, stored only as peppered hashes, checked in constant time.

A token is 256 random bits, so a keyed SHA-256 (HMAC with a server-side pepper) is enough: there
is nothing to brute-force, and a leaked token file is useless without the pepper, which lives
elsewhere (a deployment secret, or a 0600 file in the local state directory).

The token file maps each hash to the agency it authenticates::

    {"scheme": "hmac-sha256",
     "tokens": {"<hex digest>": {"agency_id": "cleveland-police", "agency_kind": "POLICE",
                                 "event_types": null, "label": "..."}}}

``event_types`` null (or absent) means every type the agency kind may publish
(``schemas.validation.may_publish``); a list narrows it, and may never widen it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from schemas.topics import INGEST_KIND_OF_AGENCY
from schemas.validation import PUBLISHING_RIGHTS, may_publish

SCHEME: Final = "hmac-sha256"
TOKEN_PREFIX: Final = "hub_"  # noqa: S105 (a recognisable prefix, not a secret)
_MIN_PEPPER_BYTES: Final = 16


class TokenFileError(Exception):
    """The token or pepper file is missing or malformed; the message names the file and rule."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Agency:
    """Who a token speaks for, and what it may publish."""

    agency_id: str
    agency_kind: str
    event_types: frozenset[str]

    def may_send(self, event_type: str) -> bool:
        return event_type in self.event_types


def publishable_types(agency_kind: str) -> frozenset[str]:
    """Every event type an agency of this kind may publish."""
    return frozenset(t for t in PUBLISHING_RIGHTS if may_publish(agency_kind, t))


def hash_token(token: str, pepper: bytes) -> str:
    """The stored form of a token: HMAC-SHA256 keyed by the pepper, hex."""
    return hmac.new(pepper, token.encode("utf-8"), hashlib.sha256).hexdigest()


def new_token() -> str:
    """A fresh random token (prefixed so secret scanners and people recognise it)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class TokenStore:
    """Hash -> agency, loaded once; ``authenticate`` compares against every entry."""

    def __init__(self, pepper: bytes, agencies: Mapping[str, Agency]) -> None:
        if len(pepper) < _MIN_PEPPER_BYTES:
            raise TokenFileError(f"the pepper must be at least {_MIN_PEPPER_BYTES} bytes")
        self._pepper = pepper
        self._entries = tuple((h.encode("ascii"), a) for h, a in agencies.items())

    def __len__(self) -> int:
        return len(self._entries)

    def authenticate(self, token: str) -> Agency | None:
        """The agency a presented token belongs to, or None."""
        presented = hash_token(token, self._pepper).encode("ascii")
        found: Agency | None = None
        # Every entry is compared (no early exit), so the time taken says nothing about which
        # stored hash is closest.
        for stored, agency in self._entries:
            if hmac.compare_digest(presented, stored):
                found = agency
        return found

    @classmethod
    def load(cls, tokens_file: Path, pepper_file: Path) -> TokenStore:
        """Read and check the token file and the pepper; raises TokenFileError."""
        return cls(read_pepper(pepper_file), parse_token_file(read_json_file(tokens_file)))


def read_pepper(path: Path) -> bytes:
    """The pepper, as the bytes of the file with surrounding whitespace removed."""
    try:
        pepper = path.read_bytes().strip()
    except OSError as exc:
        raise TokenFileError(f"cannot read the token pepper {path}: {exc.strerror}") from None
    if len(pepper) < _MIN_PEPPER_BYTES:
        raise TokenFileError(f"the token pepper {path} is shorter than {_MIN_PEPPER_BYTES} bytes")
    return pepper


def ensure_pepper(path: Path) -> bytes:
    """Read the pepper, creating a random one (mode 0600) if the file does not exist."""
    if not path.exists():
        write_private(path, secrets.token_urlsafe(32) + "\n")
    return read_pepper(path)


def read_json_file(path: Path, what: str = "token file") -> Any:
    """A hashed-credentials file's JSON; errors say which file and why, never its content."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TokenFileError(f"cannot read the {what} {path}: {exc.strerror}") from None
    except ValueError:
        raise TokenFileError(f"the {what} {path} is not valid JSON") from None


def parse_token_file(data: Any) -> dict[str, Agency]:
    """Check a token file's content; every rule broken is reported by hash prefix, never token."""
    if not isinstance(data, dict) or data.get("scheme") != SCHEME:
        raise TokenFileError(f'a token file is an object with "scheme": "{SCHEME}"')
    entries = data.get("tokens")
    if not isinstance(entries, dict):
        raise TokenFileError('a token file has a "tokens" object: hash -> agency')
    agencies: dict[str, Agency] = {}
    for digest, entry in entries.items():
        where = f"token {str(digest)[:8]}…"
        if not (isinstance(digest, str) and len(digest) == 64 and _is_hex(digest)):
            raise TokenFileError(f"{where}: the key must be a 64-character hex digest")
        if not isinstance(entry, dict):
            raise TokenFileError(f"{where}: the entry must be an object")
        agency_id, kind = entry.get("agency_id"), entry.get("agency_kind")
        if not isinstance(agency_id, str) or not agency_id:
            raise TokenFileError(f"{where}: agency_id is required")
        if kind not in INGEST_KIND_OF_AGENCY:
            raise TokenFileError(f"{where}: agency_kind must be one of the hub's agency kinds")
        allowed = publishable_types(kind)
        listed = entry.get("event_types")
        if listed is None:
            types = allowed
        elif isinstance(listed, list) and all(isinstance(t, str) for t in listed):
            types = frozenset(listed)
            if not types <= allowed:
                extra = ", ".join(sorted(types - allowed))
                raise TokenFileError(f"{where}: a {kind} agency may not publish {extra}")
        else:
            raise TokenFileError(f"{where}: event_types must be null or a list of event types")
        agencies[digest.lower()] = Agency(agency_id=agency_id, agency_kind=kind, event_types=types)
    return agencies


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in text)


def issue_token(
    tokens_file: Path,
    pepper: bytes,
    *,
    agency_id: str,
    agency_kind: str,
    event_types: Iterable[str] | None = None,
    label: str = "",
) -> str:
    """Add a new token for an agency to the token file (created if absent); return the token.

    The token itself is returned once and never stored: hand it to the agency, then forget it.
    """
    data: dict[str, Any] = (
        read_json_file(tokens_file) if tokens_file.exists() else {"scheme": SCHEME, "tokens": {}}
    )
    parse_token_file(data)  # refuse to append to a file that does not load
    token = new_token()
    data["tokens"][hash_token(token, pepper)] = {
        "agency_id": agency_id,
        "agency_kind": agency_kind,
        "event_types": None if event_types is None else sorted(event_types),
        "label": label,
    }
    parse_token_file(data)  # the new entry obeys the same rules as a loaded one
    write_private(tokens_file, json.dumps(data, indent=2) + "\n")
    return token


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read, atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)  # O_CREAT keeps an existing file's mode
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(partial, path)
