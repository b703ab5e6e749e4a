"""The ground truth of a scenario, for tests to check the hub against."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from schemas.codec import to_json
from streams.simulation.log import Registration
from streams.simulation.model import Child
from streams.simulation.world import IncidentTruth, ReferralTruth, World


@dataclass(frozen=True, slots=True, kw_only=True)
class ChildTruth:
    """One child: every identifier used for them, where they were on roll, their events."""

    key: str
    identifiers: dict[str, str]
    given_name: str
    family_name: str
    date_of_birth: date
    postcode: str
    household: int
    spells: list[dict[str, Any]]  # urn (None: home educated), setting_kind, start, end, published
    event_ids: list[str]  # every event naming the child, in the order they were generated


@dataclass(frozen=True, slots=True, kw_only=True)
class Ambiguity:
    """One child the hub sees as two records that only demographics can join."""

    child_key: str
    first: dict[str, str]  # identifiers of one record
    second: dict[str, str]  # identifiers of the other
    typo: bool  # the given names differ (a mistyped registration)
    registration_event_ids: list[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class Manifest:
    """What the generator planted and what it published; enough to reconcile every count."""

    seed: int
    start: date
    days: int
    end: datetime  # first moment after the period
    valid_at: datetime  # the `now` at which every event is valid
    schools: list[dict[str, str]]
    children: list[ChildTruth]
    ambiguities: list[Ambiguity]
    withheld_enrolments: list[dict[str, Any]]  # child_key, urn, setting_kind, start
    incidents: list[IncidentTruth]
    referrals: list[ReferralTruth]
    event_counts: dict[str, int]  # by event type
    events_without_child: list[str]  # e.g. midwife visits about a mother and unborn child

    @property
    def overdue_referrals(self) -> list[ReferralTruth]:
        """Referrals planted to never get an outcome (made at least three days before the end)."""
        return [r for r in self.referrals if r.status == "overdue"]

    @property
    def total_events(self) -> int:
        return sum(self.event_counts.values())

    def child(self, key: str) -> ChildTruth:
        return next(c for c in self.children if c.key == key)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form (dates ISO-8601, times UTC with 'Z')."""
        body = asdict(self)
        body["overdue_referral_ids"] = [r.referral_id for r in self.overdue_referrals]
        return to_json(body)


def _components(registrations: list[Registration]) -> list[list[Registration]]:
    """Registrations joined when they share an identifier value (the hub links those itself)."""
    groups: list[list[Registration]] = []
    for registration in registrations:
        mine = set(registration.identifiers.items())
        touching = [g for g in groups if any(mine & set(r.identifiers.items()) for r in g)]
        merged = [registration, *itertools.chain.from_iterable(touching)]
        groups = [g for g in groups if g not in touching] + [merged]
    return [sorted(g, key=lambda r: r.event_id) for g in groups]


def _ambiguities(child: Child, registrations: list[Registration]) -> list[Ambiguity]:
    groups = sorted(_components(registrations), key=lambda g: min(r.event_id for r in g))
    found = []
    for one, other in itertools.combinations(groups, 2):
        first: dict[str, str] = {}
        second: dict[str, str] = {}
        for r in one:
            first.update(r.identifiers)
        for r in other:
            second.update(r.identifiers)
        found.append(
            Ambiguity(
                child_key=child.key,
                first=first,
                second=second,
                typo=len({r.given_name for r in (*one, *other)}) > 1,
                registration_event_ids=[r.event_id for r in (*one, *other)],
            )
        )
    return found


def _registered_identifiers(registrations: list[Registration]) -> dict[str, str]:
    # Not Child.identifiers(): an identifier allocated for an event that fell after the end
    # of the period was never published.
    found: dict[str, str] = {}
    for registration in registrations:
        found.update(registration.identifiers)
    return dict(sorted(found.items()))


def build_manifest(world: World, seed: int, events: Sequence[Mapping[str, Any]]) -> Manifest:
    """The manifest of a finished world whose published events are `events`."""
    by_child: dict[str, list[Registration]] = {}
    for registration in world.log.registrations:
        by_child.setdefault(registration.child_key, []).append(registration)
    children: list[ChildTruth] = []
    ambiguities: list[Ambiguity] = []
    withheld: list[dict[str, Any]] = []
    for household in world.population.households:
        for child in household.children:
            children.append(
                ChildTruth(
                    key=child.key,
                    identifiers=_registered_identifiers(by_child.get(child.key, [])),
                    given_name=child.given_name,
                    family_name=child.family_name,
                    date_of_birth=child.date_of_birth,
                    postcode=household.postcode,
                    household=household.index,
                    spells=[asdict(s) for s in child.spells],
                    event_ids=list(child.event_ids),
                )
            )
            ambiguities += _ambiguities(child, by_child.get(child.key, []))
            withheld += [
                {
                    "child_key": child.key,
                    "urn": s.urn,
                    "setting_kind": s.setting_kind,
                    "start": s.start,
                }
                for s in child.spells
                if not s.published
            ]
    schools = [
        {"urn": s.urn, "name": s.name, "phase": s.phase, "setting_kind": s.setting_kind,
         "agency_id": s.agency.agency_id}
        for s in (*world.population.schools, *world.population.settings)
    ]  # fmt: skip
    return Manifest(
        seed=seed,
        start=world.start,
        days=world.days,
        end=world.end,
        valid_at=world.end + timedelta(days=1),
        schools=schools,
        children=children,
        ambiguities=ambiguities,
        withheld_enrolments=withheld,
        incidents=list(world.incidents),
        referrals=list(world.referrals),
        event_counts=dict(sorted(Counter(str(e["event_type"]) for e in events).items())),
        events_without_child=list(world.log.orphan_event_ids),
    )
