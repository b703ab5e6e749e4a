"""The local stack's demo logins: one person per role, created at `hub up`.

The plain tokens go to ``<state>/demo-logins.json`` (mode 0600) for the developer to paste into
the login form; the API only reads ``<state>/api-people.json`` (hashes) and ``<state>/api-pepper``.
Calling again with more school URNs adds a Key Adult for each new school and keeps the others.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

from projections.api.people import (
    PEOPLE_FILE_NAME,
    Person,
    Role,
    issue_person_token,
    parse_people_file,
    recipients_for,
)
from streams.gateway.tokens import ensure_pepper, write_private

DEMO_LOGINS_FILE_NAME: Final = "demo-logins.json"
PEPPER_FILE_NAME: Final = "api-pepper"
DEMO_SCHOOL_URN: Final = "123456"  # the school of the samples and the gateway's demo tokens
LA: Final = "la:stockton"


def _person(
    person_id: str,
    name: str,
    role: Role,
    organisation_id: str,
    *,
    team: str | None = None,
    alerts: Iterable[str] = (),
) -> Person:
    return Person(
        person_id=person_id,
        name=name,
        role=role,
        organisation_id=organisation_id,
        recipient_ids=recipients_for(role, organisation_id, team),
        alert_organisations=frozenset(alerts),
        team_id=team,
    )


def demo_people(school_urns: Iterable[str]) -> list[Person]:
    """The synthetic people: a Key Adult per school, then one person per other role."""
    people = [
        _person(f"dsl-{urn}", f"Key Adult {urn}", Role.SCHOOL_DSL, f"school:{urn}", alerts=[urn])
        for urn in dict.fromkeys(school_urns)
    ]
    people += [
        _person("hv-1", "Hana Visitor", Role.HEALTH_VISITOR, "north-tees-0-19"),
        _person("sn-1", "Sam Nurse", Role.SCHOOL_NURSE, "north-tees-0-19"),
        _person(
            "sw-1",
            "Sol Worker",
            Role.FRONT_DOOR_SOCIAL_WORKER,
            LA,
            team="stockton-childrens-hub",
            alerts=["stockton-childrens-hub"],
        ),
        _person(
            "sw-2",
            "Cass Keyworker",
            Role.FRONT_DOOR_SOCIAL_WORKER,
            LA,
            team="stockton-cin-2",  # the simulated CP plans' responsible team
        ),
        _person("ehl-1", "Eve Lead", Role.EARLY_HELP_LEAD_PRACTITIONER, "stockton-family-hub"),
        _person(
            "enc-1",
            "Cora Ordinator",
            Role.LA_ENCOMPASS_COORDINATOR,
            LA,
            team="stockton-la-encompass",
            alerts=["stockton-la-encompass"],
        ),
        _person("dpo-1", "Dee Protection", Role.DPO, LA),
    ]
    return people


def ensure_demo_people(state_dir: Path, school_urns: Iterable[str] = (DEMO_SCHOOL_URN,)) -> Path:
    """Create the demo logins that do not exist yet; return the path of the logins listing."""
    people_file = state_dir / PEOPLE_FILE_NAME
    logins_file = state_dir / DEMO_LOGINS_FILE_NAME
    pepper = ensure_pepper(state_dir / PEPPER_FILE_NAME)
    known = (
        {p.person_id for p in parse_people_file(json.loads(people_file.read_text())).values()}
        if people_file.exists()
        else set()
    )
    listing: dict[str, Any] = (
        json.loads(logins_file.read_text())
        if logins_file.exists()
        else {
            "about": "Demo logins for the local read API and web pages: paste a token into "
            "the login form, or send 'Authorization: Bearer <token>'. Synthetic people only.",
            "logins": [],
        }
    )
    added = False
    for person in demo_people(school_urns):
        if person.person_id in known:
            continue
        token = issue_person_token(people_file, pepper, person)
        listing["logins"].append({**person.to_json(), "token": token})
        added = True
    if added or not logins_file.exists():
        write_private(logins_file, json.dumps(listing, indent=2) + "\n")
    return logins_file
