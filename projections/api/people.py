"""People who use the read API: who a bearer token speaks for (name, role, organisation).

Tokens are stored only as peppered HMAC-SHA256 hashes, exactly as the ingest gateway stores
agency tokens (``streams.gateway.tokens``: the same hashing, pepper and private file writes).
The people file maps each hash to a person::

    {"scheme": "hmac-sha256",
     "people": {"<hex digest>": {"person_id": "p-dsl-123456", "name": "Ms A Example",
                                 "role": "SCHOOL_DSL", "organisation_id": "school:123456",
                                 "recipient_ids": ["school:123456:dsl"],
                                 "alert_organisations": ["123456"]}}}

``recipient_ids`` are the sharing stage's inbox ids the person reads (``shares.recipient_id``);
``alert_organisations`` the Encompass recipient organisations (``encompass_alerts
.organisation_id``: a URN for settings, a service id for LA and health services).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

from streams.gateway.tokens import (
    SCHEME,
    TokenFileError,
    hash_token,
    new_token,
    read_json_file,
    read_pepper,
    write_private,
)

PEOPLE_FILE_NAME: Final = "api-people.json"


class Role(StrEnum):
    """What a person does; authorisation is by role and organisation, never by name."""

    SCHOOL_DSL = "SCHOOL_DSL"  # the Designated Safeguarding Lead = Operation Encompass Key Adult
    HEALTH_VISITOR = "HEALTH_VISITOR"
    SCHOOL_NURSE = "SCHOOL_NURSE"
    FRONT_DOOR_SOCIAL_WORKER = "FRONT_DOOR_SOCIAL_WORKER"
    EARLY_HELP_LEAD_PRACTITIONER = "EARLY_HELP_LEAD_PRACTITIONER"
    LA_ENCOMPASS_COORDINATOR = "LA_ENCOMPASS_COORDINATOR"
    DPO = "DPO"  # data protection officer / Caldicott guardian: the auditor

    @property
    def label(self) -> str:
        """The role as the people who hold it call it."""
        return _ROLE_LABELS[self]


_ROLE_LABELS: dict[Role, str] = {
    Role.SCHOOL_DSL: "Designated Safeguarding Lead",
    Role.HEALTH_VISITOR: "Health visitor",
    Role.SCHOOL_NURSE: "School nurse",
    Role.FRONT_DOOR_SOCIAL_WORKER: "Children's Hub social worker",
    Role.EARLY_HELP_LEAD_PRACTITIONER: "Early help lead practitioner",
    Role.LA_ENCOMPASS_COORDINATOR: "Encompass coordinator",
    Role.DPO: "Data protection officer",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Person:
    """An authenticated person and the views they hold."""

    person_id: str
    name: str
    role: Role
    organisation_id: str
    recipient_ids: frozenset[str] = frozenset()
    alert_organisations: frozenset[str] = frozenset()
    # The social care team whose children's accesses this person is told about.
    team_id: str | None = None

    @property
    def is_auditor(self) -> bool:
        return self.role is Role.DPO

    def school_urn(self) -> str | None:
        """The URN of a DSL's school (organisation ``school:<urn>``), else None."""
        if self.role is Role.SCHOOL_DSL and self.organisation_id.startswith("school:"):
            return self.organisation_id.removeprefix("school:")
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "person_id": self.person_id,
            "name": self.name,
            "role": self.role.value,
            "organisation_id": self.organisation_id,
            "recipient_ids": sorted(self.recipient_ids),
            "alert_organisations": sorted(self.alert_organisations),
            "team_id": self.team_id,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Person:
        return cls(
            person_id=str(data["person_id"]),
            name=str(data["name"]),
            role=Role(data["role"]),
            organisation_id=str(data["organisation_id"]),
            recipient_ids=frozenset(data.get("recipient_ids") or ()),
            alert_organisations=frozenset(data.get("alert_organisations") or ()),
            team_id=data.get("team_id"),
        )


class PeopleStore:
    """Hash -> person, loaded once; ``authenticate`` compares against every entry."""

    def __init__(self, pepper: bytes, people: Mapping[str, Person]) -> None:
        self._pepper = pepper
        self._entries = tuple((h.encode("ascii"), p) for h, p in people.items())
        self._by_id = {p.person_id: p for p in people.values()}

    def __len__(self) -> int:
        return len(self._entries)

    def authenticate(self, token: str) -> Person | None:
        """The person a presented token belongs to, or None (constant time over the store)."""
        presented = hash_token(token, self._pepper).encode("ascii")
        found: Person | None = None
        for stored, person in self._entries:
            if hmac.compare_digest(presented, stored):
                found = person
        return found

    def by_id(self, person_id: str) -> Person | None:
        """The person with this id (for a session cookie, which names the person)."""
        return self._by_id.get(person_id)

    @classmethod
    def load(cls, people_file: Path, pepper_file: Path) -> PeopleStore:
        return cls(
            read_pepper(pepper_file), parse_people_file(read_json_file(people_file, "people file"))
        )


def parse_people_file(data: Any) -> dict[str, Person]:
    """Check a people file; errors name the hash prefix and the rule, never a token."""
    if not isinstance(data, dict) or data.get("scheme") != SCHEME:
        raise TokenFileError(f'a people file is an object with "scheme": "{SCHEME}"')
    entries = data.get("people")
    if not isinstance(entries, dict):
        raise TokenFileError('a people file has a "people" object: hash -> person')
    people: dict[str, Person] = {}
    for digest, entry in entries.items():
        where = f"person {str(digest)[:8]}…"
        if not (isinstance(digest, str) and len(digest) == 64):
            raise TokenFileError(f"{where}: the key must be a 64-character hex digest")
        try:
            people[digest.lower()] = Person.from_json(entry)
        except (KeyError, ValueError, TypeError):
            raise TokenFileError(
                f"{where}: needs person_id, name, a known role, organisation_id"
            ) from None
    return people


def issue_person_token(people_file: Path, pepper: bytes, person: Person) -> str:
    """Add a token for a person to the people file (created if absent); return it, once."""
    data: dict[str, Any] = (
        read_json_file(people_file, "people file")
        if people_file.exists()
        else {"scheme": SCHEME, "people": {}}
    )
    parse_people_file(data)
    token = new_token()
    data["people"][hash_token(token, pepper)] = person.to_json()
    write_private(people_file, json.dumps(data, indent=2) + "\n")
    return token


def recipients_for(role: Role, organisation_id: str, team_id: str | None = None) -> frozenset[str]:
    """The sharing stage's inbox ids for a role at an organisation (streams/policy/relationships.py)."""
    unit = team_id or organisation_id
    suffix = {
        Role.SCHOOL_DSL: "dsl",
        Role.HEALTH_VISITOR: "health_visitor",
        Role.SCHOOL_NURSE: "school_nurse",
        Role.FRONT_DOOR_SOCIAL_WORKER: "social_worker",
        Role.EARLY_HELP_LEAD_PRACTITIONER: "lead_practitioner",
        Role.LA_ENCOMPASS_COORDINATOR: "coordinator",
    }.get(role)
    return frozenset() if suffix is None else frozenset({f"{unit}:{suffix}"})
