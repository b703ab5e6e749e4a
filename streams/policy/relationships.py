"""Who is connected to a child, as a pure fold over the child's events: the decision's candidates.

The state holds ids only (URNs, agency and team ids, assessment and referral ids, dates): it
lives in a faust table whose changelog is a second copy. Names never enter it (an early help
assessment names its lead practitioner; the state keeps the lead agency's id).

Recipient ids are stable strings a partner's inbox is keyed by:
- the school or setting's DSL: ``school:<urn>:dsl``
- a health team that has seen the child: ``<agency id>:<role>``, e.g. ``north-tees-0-19:health_visitor``
- the allocated social care team: ``<team id>:social_worker``
- the early help lead practitioner: ``<lead agency id>:lead_practitioner``; the family's Team
  Around the Family (one shared recipient per assessment): ``taf:<assessment id>``
- the referrer of a referral (for its outcome): as above when it is a school, else
  ``<agency id>:<role>``
- area duty roles (front door, MASH police; the Encompass coordinator while no school has
  the child on roll): see ``Area`` and ``area_duty``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from streams.policy.consent import ChildStatus
from streams.policy.decision import CandidateRecipient
from streams.policy.vocabulary import AgencyKind, EventType, Relationship, Role

# When one recipient is connected in two ways, the more specific connection is the one the
# decision sees (an outcome goes to its referrer as REFERRER, whatever else it is).
_PRECEDENCE = (
    Relationship.REFERRER,
    Relationship.PANEL_MEMBER,
    Relationship.ALLOCATED,
    Relationship.TEAM_AROUND_FAMILY,
    Relationship.CHILD_ENROLLED_AT,
    Relationship.REGISTERED_WITH,
    Relationship.AREA_DUTY,
)
# Health practitioners who visit are allocated to the child (the agreement's rules 2, 7, 20 and
# 25 reach them as ALLOCATED); a GP practice is the one the child is registered with.
_HEALTH_ROLES = {
    "HEALTH_VISITOR": (Role.HEALTH_VISITOR, Relationship.ALLOCATED),
    "SCHOOL_NURSE": (Role.SCHOOL_NURSE, Relationship.ALLOCATED),
    "MIDWIFE": (Role.MIDWIFE, Relationship.ALLOCATED),
    "GP": (Role.GP, Relationship.REGISTERED_WITH),
}
_SCHOOL_AGENCY = re.compile(r"^urn-((?:EY)?\d{6})$")


@dataclass(frozen=True, slots=True, kw_only=True)
class Area:
    """The area's duty roles: candidates for every child. Ids of teams, never of people."""

    front_door: str = "stockton-childrens-hub"
    encompass_coordinator: str = "stockton-la-encompass"
    police_mash: str = "cleveland-police-mash"
    pitstop_panel: str = "cleveland-pitstop"


@dataclass(frozen=True, slots=True, kw_only=True)
class Enrolment:
    """On roll at a school or setting from `start` to `end` (the last day; None: still on roll)."""

    urn: str
    early_years: bool
    start: date
    end: date | None = None

    def on_roll(self, on: date) -> bool:
        return self.start <= on and (self.end is None or on <= self.end)


@dataclass(frozen=True, slots=True, kw_only=True)
class Referral:
    """A referral the child is the subject of: who made it, and whether a panel has it open."""

    referral_id: str
    referrer_id: str
    referrer_role: Role
    referrer_org: str
    pitstop_open: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Relationships:
    """A child's connections (sorted tuples, so equal states serialise equally)."""

    enrolments: tuple[Enrolment, ...] = ()
    health: tuple[tuple[str, str], ...] = ()  # (agency id, practitioner kind)
    early_help: tuple[tuple[str, str], ...] = ()  # open assessments: (assessment id, lead agency)
    referrals: tuple[Referral, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """A small JSON-ready dict (for the faust table)."""
        return {
            "enrolments": [
                [e.urn, e.early_years, e.start.isoformat(), e.end and e.end.isoformat()]
                for e in self.enrolments
            ],
            "health": [list(h) for h in self.health],
            "early_help": [list(a) for a in self.early_help],
            "referrals": [
                [
                    r.referral_id,
                    r.referrer_id,
                    r.referrer_role.value,
                    r.referrer_org,
                    r.pitstop_open,
                ]
                for r in self.referrals
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Relationships:
        return cls(
            enrolments=tuple(
                Enrolment(
                    urn=u,
                    early_years=ey,
                    start=date.fromisoformat(s),
                    end=None if e is None else date.fromisoformat(e),
                )
                for u, ey, s, e in data.get("enrolments", [])
            ),
            health=tuple((a, k) for a, k in data.get("health", [])),
            early_help=tuple((a, lead) for a, lead in data.get("early_help", [])),
            referrals=tuple(
                Referral(
                    referral_id=i,
                    referrer_id=r,
                    referrer_role=Role(role),
                    referrer_org=o,
                    pitstop_open=p,
                )
                for i, r, role, o, p in data.get("referrals", [])
            ),
        )


def apply_relationship(state: Relationships, record: Mapping[str, Any]) -> Relationships:
    """The connections after one decoded event; events that change none return `state`.

    Applying the same event twice gives the same state (redeliveries are harmless).
    """
    kind = record.get("event_type")
    source = record.get("source") or {}
    if kind in (EventType.PUPIL_ENROLLED, EventType.PUPIL_LEFT):
        return _roll(state, record)
    if kind == EventType.VISIT_RECORDED and record.get("practitioner") in _HEALTH_ROLES:
        seen = (str(source["agency_id"]), str(record["practitioner"]))
        return replace(state, health=tuple(sorted({*state.health, seen})))
    if kind == EventType.EARLY_HELP_ASSESSMENT_STARTED:
        opened = (str(record["assessment_id"]), str(record["lead_agency_id"]))
        return replace(state, early_help=tuple(sorted({*state.early_help, opened})))
    if kind == EventType.EARLY_HELP_ASSESSMENT_CLOSED:
        closed = str(record["assessment_id"])
        return replace(state, early_help=tuple(a for a in state.early_help if a[0] != closed))
    if kind == EventType.REFERRAL_MADE:
        return _referred(state, record, source)
    if kind == EventType.REFERRAL_OUTCOME_RECORDED:
        answered = str(record["referral_id"])
        return replace(
            state,
            referrals=tuple(
                replace(r, pitstop_open=False) if r.referral_id == answered else r
                for r in state.referrals
            ),
        )
    return state


def _roll(state: Relationships, record: Mapping[str, Any]) -> Relationships:
    urn = record.get("school_urn")
    if urn is None:  # elective home education: no setting; the area coordinator stands in
        return state
    early_years = record.get("setting_kind") == "EARLY_YEARS"
    others = [e for e in state.enrolments if e.urn != urn]
    current = next((e for e in state.enrolments if e.urn == urn), None)
    if record["event_type"] == EventType.PUPIL_ENROLLED:
        start = record["start_date"]
        # A re-enrolment after leaving opens a new spell; a repeat of the same one changes nothing.
        enrolment = Enrolment(urn=str(urn), early_years=early_years, start=start)
        if current is not None and current.start == start:
            enrolment = current
    else:
        leave = record["leave_date"]
        start = current.start if current is not None else leave
        enrolment = Enrolment(urn=str(urn), early_years=early_years, start=start, end=leave)
    return replace(state, enrolments=tuple(sorted([*others, enrolment], key=lambda e: e.urn)))


def _referred(
    state: Relationships, record: Mapping[str, Any], source: Mapping[str, Any]
) -> Relationships:
    referral_id = str(record["referral_id"])
    agency_id = str(source["agency_id"])
    role = referrer_role(AgencyKind(str(source["agency_kind"])), source.get("practitioner_role"))
    school = _SCHOOL_AGENCY.match(agency_id)
    if school and role in (Role.SCHOOL_DSL, Role.EARLY_YEARS_DSL):
        recipient_id, org = f"school:{school.group(1)}:dsl", f"school:{school.group(1)}"
    else:
        recipient_id, org = f"{agency_id}:{role.value.lower()}", agency_id
    referral = Referral(
        referral_id=referral_id,
        referrer_id=recipient_id,
        referrer_role=role,
        referrer_org=org,
        pitstop_open=record.get("destination") == "PITSTOP",
    )
    others = [r for r in state.referrals if r.referral_id != referral_id]
    return replace(state, referrals=tuple(sorted([*others, referral], key=lambda r: r.referral_id)))


def referrer_role(kind: AgencyKind, practitioner_role: object) -> Role:
    """The role a referral's outcome goes back to, from who published the referral."""
    if kind is AgencyKind.HEALTH:
        text = str(practitioner_role or "").lower()
        for words, role in (
            ("school nurse", Role.SCHOOL_NURSE),
            ("midwi", Role.MIDWIFE),
            ("gp", Role.GP),
            ("general practi", Role.GP),
        ):
            if words in text:
                return role
        return Role.HEALTH_VISITOR  # the 0-19 service's default contact
    return {
        AgencyKind.POLICE: Role.POLICE,
        AgencyKind.SCHOOL: Role.SCHOOL_DSL,
        AgencyKind.EARLY_YEARS: Role.EARLY_YEARS_DSL,
        AgencyKind.SOCIAL_CARE: Role.FRONT_DOOR_SOCIAL_WORKER,
        AgencyKind.LOCAL_AUTHORITY: Role.FRONT_DOOR_SOCIAL_WORKER,
        AgencyKind.EARLY_HELP: Role.EARLY_HELP_LEAD_PRACTITIONER,
        AgencyKind.VOLUNTARY: Role.EARLY_HELP_LEAD_PRACTITIONER,
    }.get(kind, Role.TAF_MEMBER)  # housing, youth justice: they sit in the TAF


def candidates(
    state: Relationships,
    status: ChildStatus,
    area: Area,
    *,
    on: date,
    answering: str | None = None,
) -> list[CandidateRecipient]:
    """Everyone connected to the child on a day, once each, most specific connection first.

    `answering` is the referral id a ReferralOutcomeRecorded answers: only then is its referrer
    a candidate.
    """
    found: list[CandidateRecipient] = []
    for r in state.referrals:
        if r.referral_id == answering:
            found.append(_c(r.referrer_id, r.referrer_role, r.referrer_org, Relationship.REFERRER))
    # The panel sees the case while a referral to it is open (the outcome that closes it is
    # decided with the state before it too, so the panel hears the outcome).
    if any(r.pitstop_open for r in state.referrals):
        found.append(
            _c(
                f"{area.pitstop_panel}:panel",
                Role.PITSTOP_PANEL,
                area.pitstop_panel,
                Relationship.PANEL_MEMBER,
            )
        )
    if status.social_care_team is not None:
        team = status.social_care_team
        found.append(
            _c(f"{team}:social_worker", Role.FRONT_DOOR_SOCIAL_WORKER, team, Relationship.ALLOCATED)
        )
    for agency, practitioner in state.health:
        role, relationship = _HEALTH_ROLES[practitioner]
        found.append(_c(f"{agency}:{role.value.lower()}", role, agency, relationship))
    for assessment, lead in state.early_help:
        found.append(
            _c(
                f"{lead}:lead_practitioner",
                Role.EARLY_HELP_LEAD_PRACTITIONER,
                lead,
                Relationship.ALLOCATED,
            )
        )
        found.append(
            _c(f"taf:{assessment}", Role.TAF_MEMBER, lead, Relationship.TEAM_AROUND_FAMILY)
        )
    on_roll = [e for e in state.enrolments if e.on_roll(on)]
    for e in on_roll:
        role = Role.EARLY_YEARS_DSL if e.early_years else Role.SCHOOL_DSL
        found.append(
            _c(f"school:{e.urn}:dsl", role, f"school:{e.urn}", Relationship.CHILD_ENROLLED_AT)
        )
    found += area_duty(area, school_known=bool(on_roll))
    return merge(found)


def area_duty(area: Area, *, school_known: bool) -> list[CandidateRecipient]:
    """The area's duty roles. The Encompass coordinator stands in for a school, so it is a
    candidate only while no school or setting has the child on roll (minimum necessary)."""
    duty = [
        _c(
            f"{area.front_door}:social_worker",
            Role.FRONT_DOOR_SOCIAL_WORKER,
            area.front_door,
            Relationship.AREA_DUTY,
        ),
        _c(f"{area.police_mash}:police", Role.POLICE, area.police_mash, Relationship.AREA_DUTY),
    ]
    if not school_known:
        duty.append(
            _c(
                f"{area.encompass_coordinator}:coordinator",
                Role.LA_ENCOMPASS_COORDINATOR,
                area.encompass_coordinator,
                Relationship.AREA_DUTY,
            )
        )
    return duty


def merge(*groups: Iterable[CandidateRecipient]) -> list[CandidateRecipient]:
    """One candidate per recipient id, keeping its most specific connection, in a stable order."""
    best: dict[str, CandidateRecipient] = {}
    for group in groups:
        for c in group:
            held = best.get(c.recipient_id)
            if held is None or _rank(c) < _rank(held):
                best[c.recipient_id] = c
    return sorted(best.values(), key=lambda c: (_rank(c), c.recipient_id))


def _rank(c: CandidateRecipient) -> int:
    return _PRECEDENCE.index(c.relationship)


def _c(rid: str, role: Role, org: str, relationship: Relationship) -> CandidateRecipient:
    return CandidateRecipient(
        recipient_id=rid, role=role, organisation_id=org, relationship=relationship
    )
