"""The facts the Operation Encompass rules work from: the incident, the children, the area.

These are the domain's own shapes, decoupled from the wire format: the codec maps
IncidentRecorded / EncompassNotificationRequested onto them. Times are aware UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


def require_aware(value: datetime, what: str) -> None:
    """Refuse naive datetimes: a time without an offset is a bug waiting for a clock change."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got {value!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkedChild:
    """A child police linked to the incident, as police describe them."""

    child_key: str
    name: str
    date_of_birth: date
    present: bool
    whereabouts: str | None = None  # where the child was during the incident
    spoken_to: bool = False
    voice: str | None = None  # what the child said, in their words
    # Anything else the force published about the child. Kept so nothing is lost on ingest,
    # but it is never shared: the content builder works from an allow-list.
    extra: Mapping[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentFacts:
    """A police incident, reduced to what the Encompass rules need."""

    police_reference: str
    occurred_at: datetime
    recorded_at: datetime
    place: str
    circumstances: str
    local_authority: str
    domestic_abuse: bool = True
    pregnancy_noted: bool = False
    children: tuple[LinkedChild, ...] = ()
    extra: Mapping[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        require_aware(self.occurred_at, "occurred_at")
        require_aware(self.recorded_at, "recorded_at")


class SettingKind(StrEnum):
    """What sort of education setting a URN (or Ofsted URN) names."""

    SCHOOL = "school"
    EARLY_YEARS = "early_years"


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyAdult:
    """The named person who receives Encompass notifications for a setting (normally the DSL)."""

    name: str
    role: str = "Designated Safeguarding Lead"


@dataclass(frozen=True, slots=True, kw_only=True)
class Setting:
    """A school or early years setting in the area."""

    urn: str
    name: str
    kind: SettingKind = SettingKind.SCHOOL
    key_adult: KeyAdult | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Service:
    """An LA or health service that receives notifications (coordinator, health visiting, ...)."""

    service_id: str
    name: str
    contact_name: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AreaConfig:
    """One local authority's Encompass arrangements: product and local decisions, not code."""

    local_authority: str
    coordinator: Service
    settings: Mapping[str, Setting] = field(default_factory=dict, hash=False)
    # Escalations about the coordinator's own notifications go here when configured.
    front_door: Service | None = None
    early_years_extension: bool = False
    health_visiting: Service | None = None
    midwifery: Service | None = None  # a local decision (Stockton sends to midwifery)

    def __post_init__(self) -> None:
        if self.early_years_extension and self.health_visiting is None:
            raise ValueError(
                f"{self.local_authority}: extending Encompass to early years needs a "
                "health visiting service to notify"
            )
