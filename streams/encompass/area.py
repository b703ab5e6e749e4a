"""One area's Encompass arrangements as data: the LA, its services, its settings and calendars.

An area file (YAML, see area_example.yaml) names the local authority, its Encompass
coordinator, front door, health visiting and midwifery services, whether Encompass extends to
early years, and every school or setting: URN, name, kind, Key Adult (or none: that setting
cannot receive, which escalates), session start, and the term dates document it follows.
Loaded at start-up (HUB_AREA_FILE), never at import.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import time
from pathlib import Path
from typing import Any, Final

import yaml

from streams.encompass.calendar import (
    EXAMPLE_TERM_DATES,
    CalendarBook,
    SchoolCalendar,
    load_calendars,
)
from streams.encompass.model import AreaConfig, KeyAdult, Service, Setting, SettingKind

EXAMPLE_AREA: Final = Path(__file__).with_name("area_example.yaml")
_KINDS: Final = {k.value: k for k in SettingKind}


class AreaFileError(ValueError):
    """An area file is malformed; the message names the file and the entry."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Area:
    """The routing config plus each setting's calendar (the deadline depends on it)."""

    code: str  # the LA code: the key of its term dates and the `local_authority` of events
    config: AreaConfig
    calendars: CalendarBook = field(default_factory=CalendarBook, hash=False)
    session_starts: Mapping[str, time] = field(default_factory=dict, hash=False)

    def calendar_for(self, urn: str | None) -> SchoolCalendar:
        """A setting's calendar (its own, else the LA's); None: the LA's (the coordinator)."""
        calendar = self.calendars.for_school(urn, self.code)
        start = self.session_starts.get(urn or "")
        return calendar if start is None else replace(calendar, session_start=start)


def _service(data: object, where: str) -> Service:
    if not isinstance(data, Mapping):
        raise AreaFileError(f"{where}: expected a mapping with service_id and name")
    try:
        return Service(
            service_id=str(data["service_id"]),
            name=str(data["name"]),
            contact_name=None if data.get("contact_name") is None else str(data["contact_name"]),
        )
    except KeyError as exc:
        raise AreaFileError(f"{where}: missing {exc.args[0]}") from None


def _setting(data: object, where: str) -> tuple[Setting, time | None]:
    if not isinstance(data, Mapping):
        raise AreaFileError(f"{where}: expected a mapping")
    missing = [k for k in ("urn", "name", "key_adult") if k not in data]
    if missing:
        # key_adult must be explicit: `key_adult: null` says "none named", a typo does not.
        raise AreaFileError(f"{where}: missing {', '.join(missing)}")
    kind = str(data.get("kind", "school"))
    if kind not in _KINDS:
        raise AreaFileError(f"{where}: kind must be one of {sorted(_KINDS)}, got {kind!r}")
    start = data.get("session_start")
    # YAML 1.1 reads an unquoted 8:30 as 510 (base 60): insist on a quoted string.
    if start is not None and not isinstance(start, str):
        raise AreaFileError(f'{where}: session_start must be a quoted "HH:MM" string')
    try:
        session_start = None if start is None else time.fromisoformat(start)
    except ValueError:
        raise AreaFileError(f"{where}: session_start {start!r} is not HH:MM") from None
    adult = data["key_adult"]
    setting = Setting(
        urn=str(data["urn"]),
        name=str(data["name"]),
        kind=_KINDS[kind],
        key_adult=None if adult is None else KeyAdult(name=str(adult)),
    )
    return setting, session_start


def area_from_mapping(data: Mapping[str, Any], *, base_dir: Path) -> Area:
    """Build an Area from a parsed area document; term dates paths are relative to base_dir."""
    la = data.get("local_authority")
    if not isinstance(la, Mapping) or "code" not in la or "name" not in la:
        raise AreaFileError("local_authority: expected {code, name}")
    settings: dict[str, Setting] = {}
    starts: dict[str, time] = {}
    for i, entry in enumerate(data.get("settings") or ()):
        setting, start = _setting(entry, f"settings[{i}]")
        if setting.urn in settings:
            raise AreaFileError(f"settings[{i}]: URN {setting.urn} listed twice")
        settings[setting.urn] = setting
        if start is not None:
            starts[setting.urn] = start
    term_dates = data.get("term_dates")
    try:
        calendars = load_calendars(base_dir / str(term_dates)) if term_dates else CalendarBook()
        config = AreaConfig(
            local_authority=str(la["code"]),
            coordinator=_service(data.get("coordinator"), "coordinator"),
            settings=settings,
            front_door=_opt_service(data, "front_door"),
            early_years_extension=bool(data.get("early_years_extension", False)),
            health_visiting=_opt_service(data, "health_visiting"),
            midwifery=_opt_service(data, "midwifery"),
        )
        area = Area(code=str(la["code"]), config=config, calendars=calendars, session_starts=starts)
    except AreaFileError:
        raise
    except (ValueError, OSError, KeyError) as exc:
        raise AreaFileError(str(exc)) from exc
    return area


def _opt_service(data: Mapping[str, Any], name: str) -> Service | None:
    value = data.get(name)
    return None if value is None else _service(value, name)


def load_area(path: Path) -> Area:
    """Read an area file; AreaFileError names the file and what is wrong."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, Mapping):
            raise AreaFileError("an area file is a mapping at the top level")
        return area_from_mapping(data, base_dir=path.parent)
    except (AreaFileError, OSError, yaml.YAMLError) as exc:
        raise AreaFileError(f"{path}: {exc}") from exc


# --- A synthetic area for the local demo --------------------------------------------------

_ADULT_NAMES: Final = (
    "Ms A Harrow", "Mr B Okafor", "Mrs C Lindqvist", "Mr D Patel", "Ms E Novak", "Mrs F Byrne",
    "Mr G Mensah", "Ms H Kowalski", "Mrs I Delaney", "Mr J Haddad", "Ms K Sato", "Mr L Quinn",
)  # fmt: skip


def synthetic_area_document(
    schools: Sequence[Mapping[str, str]],
    *,
    seed: int = 0,
    without_key_adult: int = 2,
    code: str = "999",
    term_dates: Path | None = EXAMPLE_TERM_DATES,
) -> dict[str, Any]:
    """An area document for a simulation's schools (a Manifest's `schools`), invented names.

    The first `without_key_adult` schools (sorted by URN, early years settings excluded) have
    no named Key Adult, so the demo shows the escalation path.
    """
    rng = random.Random(seed)  # noqa: S311 - invented names, not secrets
    ordered = sorted(schools, key=lambda s: s["urn"])
    lacking = {
        s["urn"]
        for s in [s for s in ordered if s.get("phase") != "early_years"][:without_key_adult]
    }
    settings = [
        {
            "urn": s["urn"],
            "name": s["name"],
            "kind": "early_years" if s.get("phase") == "early_years" else "school",
            "key_adult": None if s["urn"] in lacking else rng.choice(_ADULT_NAMES),
            "session_start": "08:45" if s.get("phase") == "primary" else "08:30",
        }
        for s in ordered
    ]
    return {
        "local_authority": {"code": code, "name": "Stockton-on-Tees (synthetic)"},
        "term_dates": None if term_dates is None else str(term_dates.resolve()),
        "coordinator": {
            "service_id": "stockton-encompass-coordinator",
            "name": "Stockton Operation Encompass coordinator",
            "contact_name": "Ms M Ellery",
        },
        "front_door": {"service_id": "stockton-childrens-hub", "name": "Stockton Children's Hub"},
        "health_visiting": {"service_id": "north-tees-0-19", "name": "North Tees 0-19 service"},
        "midwifery": {"service_id": "north-tees-maternity", "name": "North Tees maternity"},
        "early_years_extension": True,
        "settings": settings,
    }


def write_synthetic_area(
    schools: Sequence[Mapping[str, str]], path: Path, *, seed: int = 0
) -> Area:
    """Write a synthetic area file for these schools to `path`; returns it loaded."""
    document = synthetic_area_document(schools, seed=seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# Synthetic Encompass area for the local demo: invented names, not a real council.\n"
        + yaml.safe_dump(document, sort_keys=False),
        encoding="utf-8",
    )
    return load_area(path)
