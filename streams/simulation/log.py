"""The event log being written: envelopes, subject references and registrations.

Every agency refers to a child by its own identifier *family* and registers the child
(PersonRegistered) before its first event about them, so the registrations alone say which
identifier sets the hub will see for each child.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from streams.simulation import names
from streams.simulation.identifier_blocks import identifier_block
from streams.simulation.model import (
    FRONT_DOOR,
    HEALTH_0_19,
    POLICE,
    Adult,
    Agency,
    Child,
    Options,
)

LONDON: Final = ZoneInfo("Europe/London")
Record = dict[str, Any]

# Which identifiers each kind of agency holds for a child (the NHS number whenever it is known).
FAMILIES: Final = {
    "police": "police_person_ref",
    "education": "upn",
    "health": None,
    "council": "la_child_id",
}
# Who registers a child for each family: the agency whose system holds that identifier (early
# help may not publish PersonRegistered; the children's hub holds the LA child id). Education
# registers per school, since each school's system holds its own record.
_REGISTRARS: Final = {"police": POLICE, "health": HEALTH_0_19, "council": FRONT_DOOR}
_BASIS: Final = {"POLICE": "DPA_PART_3_LAW_ENFORCEMENT", "EARLY_HELP": "UK_GDPR_CONSENT"}
# Types whose contract has `withheld` (null: the simulated practitioners withhold nothing).
_WITHHOLDABLE: Final = frozenset(
    {"ConcernRaised", "VisitRecorded", "IncidentRecorded", "ReferralMade"}
)


def local(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A wall-clock time in Europe/London on `day`, as UTC."""
    return datetime.combine(day, time(hour, minute, second), tzinfo=LONDON).astimezone(UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class Registration:
    """One PersonRegistered: who registered which of the child's identifiers, under what name."""

    child_key: str
    agency_id: str
    identifiers: dict[str, str]
    given_name: str
    typo: bool
    event_id: str


class Log:
    """Collects events in publication order, and the bookkeeping the manifest is built from."""

    def __init__(
        self,
        rng: random.Random,
        options: Options,
        *,
        end: datetime,
        blocks: dict[tuple[str, ...], str],
        postcodes: dict[str, str],
    ) -> None:
        self.rng = rng
        self.options = options
        self.end = end
        # Identifier and reference series start from this seed's block (see identifier_block).
        self._block = identifier_block(rng)
        self.blocks = blocks  # demographic block -> child key, to keep typos from colliding
        self.postcodes = postcodes  # child key -> the household's postcode
        self._rows: list[tuple[datetime, int, Record]] = []
        self.registrations: list[Registration] = []
        self._registered: dict[tuple[str, str], Registration] = {}
        self._by_child: dict[str, list[Registration]] = {}
        self._counters: dict[str, int] = {}
        self.orphan_event_ids: list[str] = []  # events about no child (e.g. midwife visits)

    def next_number(self, series: str, start: int = 1) -> int:
        """The next number in a named series (references, identifiers)."""
        value = self._counters.get(series, start + self._block)
        self._counters[series] = value + 1
        return value

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def events(self) -> list[Record]:
        """The records in the order they were recorded (ties in the order they were made)."""
        return [row[2] for row in sorted(self._rows, key=lambda r: (r[0], r[1]))]

    def emit(
        self,
        event_type: str,
        agency: Agency,
        *,
        subjects: Sequence[Record],
        occurred: datetime,
        recorded: datetime,
        payload: Record,
        about: Sequence[Child],
        role: str | None = None,
    ) -> str | None:
        """Append an event; None (and nothing kept) when it would be recorded after the period."""
        if recorded >= self.end:
            return None
        occurred = min(occurred, recorded)
        event_id = self.new_id()
        record: Record = {
            "event_id": event_id,
            "event_type": event_type,
            "occurred_at": occurred,
            "recorded_at": recorded,
            "source": agency.source(role),
            "subjects": list(subjects),
            "lawful_basis": _BASIS.get(agency.kind, "UK_GDPR_PUBLIC_TASK"),
            **payload,
        }
        if event_type in _WITHHOLDABLE:
            record.setdefault("withheld", None)
        self._rows.append((recorded, len(self._rows), record))
        for child in about:
            child.event_ids.append(str(event_id))
        if not about:
            self.orphan_event_ids.append(str(event_id))
        return str(event_id)

    # --- identifiers -----------------------------------------------------------------------

    def identifiers(self, child: Child, family: str) -> dict[str, str]:
        """The identifiers an agency of this family holds, allocating its own on first use."""
        own = FAMILIES[family]
        if own == "police_person_ref" and child.police_person_ref is None:
            child.police_person_ref = f"PP-{self.next_number('police-person', 2000001):07d}"
        if own == "la_child_id" and child.la_child_id is None:
            child.la_child_id = f"LA{self.next_number('la-child', 700001):06d}"
        held: dict[str, str] = {}
        if child.nhs_number is not None:
            held["nhs_number"] = child.nhs_number
        if own is not None and getattr(child, own) is not None:
            held[own] = getattr(child, own)
        if not held:
            raise ValueError(f"{family} holds no identifier for child {child.key}")
        return held

    def child_ref(self, child: Child, family: str, agency: Agency, when: datetime) -> Record:
        """The child as this agency refers to them, registering the child first if need be."""
        held = self.identifiers(child, family)
        registrar = _REGISTRARS.get(family, agency)
        if (child.key, registrar.agency_id) not in self._registered:
            self._register(child, held, registrar, when)
        return subject("CHILD", **held)

    def _register(self, child: Child, held: dict[str, str], agency: Agency, when: datetime) -> None:
        earlier = self._by_child.setdefault(child.key, [])
        # A child without NHS number already known under other identifiers: the new record
        # can only be matched on demographics, and sometimes the name is mistyped.
        unlinked = child.nhs_number is None and any(
            not set(r.identifiers.items()) & set(held.items()) for r in earlier
        )
        given = child.given_name
        typo = False
        if unlinked and self.rng.random() < self.options.typo_share:
            candidate = names.typo(self.rng, given)
            if not any(
                self.blocks.get(b, child.key) != child.key
                for b in blocks_of(
                    candidate, child.family_name, child.date_of_birth, self._postcode(child)
                )
            ):
                given, typo = candidate, True
        occurred = when - timedelta(minutes=5)
        payload = {
            "nhs_number": held.get("nhs_number"),
            "upn": held.get("upn"),
            "police_person_ref": held.get("police_person_ref"),
            "la_child_id": held.get("la_child_id"),
            "given_name": given,
            "family_name": child.family_name,
            "date_of_birth": child.date_of_birth,
            "postcode": self._postcode(child),
        }
        event_id = self.emit(
            "PersonRegistered",
            agency,
            subjects=[subject("CHILD", **held)],
            occurred=occurred,
            recorded=occurred + timedelta(minutes=1),
            payload=payload,
            about=[child],
        )
        if event_id is None:
            return
        registration = Registration(
            child_key=child.key,
            agency_id=agency.agency_id,
            identifiers=held,
            given_name=given,
            typo=typo,
            event_id=event_id,
        )
        self.registrations.append(registration)
        earlier.append(registration)
        self._registered[(child.key, agency.agency_id)] = registration

    def registered_name(self, child: Child, agency: Agency) -> str:
        """The given name this agency holds for the child (a typo stays with its agency)."""
        found = self._registered.get((child.key, agency.agency_id))
        return found.given_name if found is not None else child.given_name

    def _postcode(self, child: Child) -> str:
        return self.postcodes[child.key]


def subject(role: str, **identifiers: str | None) -> Record:
    """A SubjectReference; identifiers not given are null."""
    ref: Record = {"role": role, "nhs_number": None, "upn": None}
    ref.update(police_person_ref=None, la_child_id=None)
    ref.update(identifiers)
    return ref


def adult_ref(adult: Adult, family: str) -> Record:
    """A parent or carer as police (reference) or maternity (NHS number) know them."""
    if family == "police":
        return subject("PARENT_CARER", police_person_ref=adult.police_person_ref)
    return subject("PARENT_CARER", nhs_number=adult.nhs_number)


def blocks_of(given: str, family: str, born: date, postcode: str) -> list[tuple[str, ...]]:
    """The four three-feature combinations the identity matcher compares records on."""
    features = {
        "g": given.lower(),
        "f": family.lower(),
        "d": born.isoformat(),
        "p": postcode.replace(" ", "").upper(),
    }
    combos = ("gfd", "fdp", "gdp", "gfp")
    return [(c, *(features[k] for k in c)) for c in combos]
