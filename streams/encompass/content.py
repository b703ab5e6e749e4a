"""What an Encompass notification may say: an allow-list, never a deny-list.

DOMAIN.md: the child's name and date of birth, police reference, date, time and place,
whether the child was present and where, what the child said or whether spoken to, brief
circumstances. Nothing else; never a route to contact a parent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime

from streams.encompass.model import IncidentFacts, LinkedChild

# "Brief" circumstances: long narratives drift into third parties' details (Caldicott).
CIRCUMSTANCES_MAX_CHARS = 600
_TRUNCATION_MARK = " [shortened]"


@dataclass(frozen=True, slots=True, kw_only=True)
class NotificationContent:
    """Everything a Key Adult is told; its fields are the allow-list."""

    child_name: str
    child_date_of_birth: date
    police_reference: str
    incident_at: datetime  # aware UTC: the date and time it happened
    incident_place: str
    child_present: bool
    child_whereabouts: str | None  # where the child was
    child_spoken_to: bool
    child_voice: str | None  # what the child said
    circumstances: str

    def as_dict(self) -> dict[str, object]:
        """The content as a plain mapping (the shape the codec serialises)."""
        return asdict(self)


ALLOWED_FIELDS: frozenset[str] = frozenset(f.name for f in fields(NotificationContent))


class ContentNotAllowedError(ValueError):
    """Notification content carried a field outside the allow-list."""


def disallowed_fields(content: Mapping[str, object]) -> frozenset[str]:
    """The keys of `content` that are not on the allow-list."""
    return frozenset(content) - ALLOWED_FIELDS


def check_content(content: Mapping[str, object]) -> None:
    """Raise ContentNotAllowedError if `content` has any field outside the allow-list."""
    extra = disallowed_fields(content)
    if extra:
        # Name the fields, never their values: the values may be the very thing not to share.
        raise ContentNotAllowedError(f"not on the Encompass allow-list: {sorted(extra)}")


def brief(text: str, limit: int = CIRCUMSTANCES_MAX_CHARS) -> str:
    """Shorten a narrative to `limit` characters, marking that it was shortened."""
    text = text.strip()
    if len(text) <= limit:
        return text
    return text[: limit - len(_TRUNCATION_MARK)].rstrip() + _TRUNCATION_MARK


def build_notification_content(incident: IncidentFacts, child: LinkedChild) -> NotificationContent:
    """The allow-listed content for one child linked to one incident."""
    # Named field by field on purpose: a new attribute on the inputs never flows through.
    return NotificationContent(
        child_name=child.name,
        child_date_of_birth=child.date_of_birth,
        police_reference=incident.police_reference,
        incident_at=incident.occurred_at.astimezone(UTC),
        incident_place=incident.place,
        child_present=child.present,
        child_whereabouts=child.whereabouts,
        child_spoken_to=child.spoken_to,
        child_voice=child.voice,
        circumstances=brief(incident.circumstances),
    )
