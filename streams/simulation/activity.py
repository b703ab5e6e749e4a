"""The simulated days: incidents, concerns, visits, school moves, and corrections of entries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any, Final

from streams.simulation.baseline import publish_enrolment, publish_leaving
from streams.simulation.contacts import concern, midwife_visit, visit
from streams.simulation.log import adult_ref, local
from streams.simulation.model import (
    POLICE,
    Child,
    Household,
    Spell,
)
from streams.simulation.population import mover_destination
from streams.simulation.referrals import refer
from streams.simulation.world import IncidentTruth, World

# Police demand peaks in the evening and late at night.
_INCIDENT_HOURS: Final = (5, 4, 2, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 4, 6, 7, 8, 9, 9, 8, 6)
_WHERE: Final = ("living room", "upstairs bedroom", "kitchen", "hallway", "garden", "car")
_VOICES: Final = (
    "Said they heard shouting and hid under the bed.",
    "Said mum and dad were arguing about money again.",
    "Did not want to talk; held a sibling's hand throughout.",
    "Said they were scared and wanted to stay at nan's.",
    "Said this happens most weekends.",
)
_DA_CIRCUMSTANCES: Final = (
    "Verbal argument between adults; no injuries; officers attended.",
    "Report of an assault on a partner; suspect left before officers arrived.",
    "Neighbour reported shouting and banging; adults separated by officers.",
    "Breach of a non-molestation order; suspect arrested.",
)
_OTHER_CIRCUMSTANCES: Final = (
    "Concern for welfare call: child found out late without an adult.",
    "Missing from home for four hours; returned safe and well.",
    "Anti-social behaviour involving the young person near the shops.",
)


def age_on(child: Child, day: date) -> int:
    born = child.date_of_birth
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def simulate_days(world: World) -> None:
    """Everything that happens day by day in the period."""
    _plan_moves(world)
    planted = {
        h.index: world.rng.randrange(max(1, world.days - 1))
        for h in world.population.households
        if h.planted_incident
    }
    for offset in range(world.days):
        day = world.day(offset)
        weekend = day.weekday() >= 5
        for household in world.population.households:
            rate = world.options.incident_rate * (1.6 if weekend else 0.85)
            if planted.get(household.index) == offset:
                incident(world, household, day, planted=True)
            elif world.rng.random() < rate:
                incident(world, household, day, planted=False)
            for child in household.children:
                _child_day(world, child, day, weekend)
            for adult in household.adults:
                if adult.pregnant and world.rng.random() < 0.1:
                    midwife_visit(world, household, adult.nhs_number, day)


def _plan_moves(world: World) -> None:
    """Some pupils change school, or leave for home education, part-way through the period."""
    rng, options = world.rng, world.options
    if world.days < 2:
        return
    for child in world.population.children:
        if not child.spells or not child.spells[-1].published or child.spells[-1].urn is None:
            continue
        current = child.spells[-1]
        school = world.population.setting(current.urn) if current.urn else None
        if school is None or school.phase == "early_years":
            continue
        roll = rng.random()
        if roll >= options.move_share + options.home_education_share / 3:
            continue
        moved = world.day(rng.randrange(1, world.days))
        to_home = roll >= options.move_share or age_on(child, moved) >= 16
        target = None if to_home else mover_destination(rng, world.population, school)
        if target is None and not to_home:
            continue
        current.end = moved - timedelta(days=1)
        publish_leaving(
            world,
            child,
            current,
            destination=target.urn if target else None,
            reason="elective home education" if to_home else "moved area",
        )
        spell = Spell(
            urn=target.urn if target else None,
            setting_kind=target.setting_kind if target else "ELECTIVE_HOME_EDUCATION",
            start=moved,
        )
        child.spells.append(spell)
        publish_enrolment(world, child, spell)


def incident(world: World, household: Household, day: date, *, planted: bool) -> None:
    """A police incident at the household, linking its children, perhaps re-notified."""
    rng, log = world.rng, world.log
    children = [c for c in household.children if age_on(c, day) < 18]
    if not children:
        return
    if planted or rng.random() < 0.7:
        linked = children
    else:
        linked = sorted(rng.sample(children, rng.randint(1, len(children))), key=lambda c: c.key)
    hour = rng.choices(range(24), weights=_INCIDENT_HOURS)[0]
    occurred = local(day, hour, rng.randint(0, 59), rng.randint(0, 59))
    recorded = world.later(occurred, timedelta(minutes=20), timedelta(hours=5))
    domestic = planted or rng.random() < world.options.domestic_abuse_share
    pregnant = domestic and any(a.pregnant for a in household.adults)
    risk = rng.choices(("STANDARD", "MEDIUM", "HIGH"), weights=(55, 35, 10))[0]
    subjects = [log.child_ref(c, "police", POLICE, occurred) for c in linked]
    subjects += [adult_ref(a, "police") for a in household.adults]
    payload: dict[str, Any] = {
        "police_reference": f"CLE-{day:%Y%m%d}-{log.next_number(f'police-{day}'):04d}",
        "domestic_abuse": domestic,
        "risk_level": risk,
        "location": {"address": household.address, "postcode": household.postcode},
        "children": [_linked(world, c, i, day) for i, c in enumerate(linked)],
        "pregnancy_noted": pregnant,
        "circumstances": rng.choice(_DA_CIRCUMSTANCES if domestic else _OTHER_CIRCUMSTANCES),
    }
    first = log.emit(
        "IncidentRecorded",
        POLICE,
        subjects=subjects,
        occurred=occurred,
        recorded=recorded,
        payload=payload,
        about=linked,
    )
    if first is None:
        return
    truth = IncidentTruth(
        police_reference=payload["police_reference"],
        event_ids=[first],
        domestic_abuse=domestic,
        child_keys=[c.key for c in linked],
        occurred_at=occurred,
        pregnancy_noted=pregnant,
        planted=planted,
    )
    world.incidents.append(truth)
    if rng.random() < world.options.renotification_share:
        update = dict(
            payload, circumstances=payload["circumstances"] + " Update: statements taken."
        )
        again = log.emit(
            "IncidentRecorded",
            POLICE,
            subjects=subjects,
            occurred=occurred,
            recorded=world.later(recorded, timedelta(hours=2), timedelta(hours=30)),
            payload=update,
            about=linked,
        )
        if again is not None:
            truth.event_ids.append(again)
    _incident_referral(world, linked, domestic, risk, recorded)


def _linked(world: World, child: Child, index: int, day: date) -> dict[str, Any]:
    rng = world.rng
    present = rng.random() < 0.6
    spoken = present and age_on(child, day) >= 4 and rng.random() < 0.6
    return {
        "subject_index": index,
        "given_name": world.log.registered_name(child, POLICE),
        "family_name": child.family_name,
        "date_of_birth": child.date_of_birth,
        "present": present,
        "where_present": rng.choice(_WHERE) if present else None,
        "spoken_to": spoken,
        "voice_of_child": rng.choice(_VOICES) if spoken else None,
    }


def _incident_referral(
    world: World, linked: Sequence[Child], domestic: bool, risk: str, recorded: datetime
) -> None:
    rng = world.rng
    at = world.later(recorded, timedelta(hours=1), timedelta(hours=20))
    if domestic and risk != "STANDARD" and rng.random() < (0.7 if risk == "HIGH" else 0.4):
        destination, category = "FRONT_DOOR", "domestic abuse"
    elif rng.random() < (0.35 if domestic else 0.1):
        destination, category = "PITSTOP", "domestic abuse" if domestic else "child concern"
    else:
        return
    refer(
        world,
        POLICE,
        "police",
        linked,
        destination=destination,
        category=category,
        summary="Police attended an incident at the home; children linked.",
        at=at,
        risk=risk,
    )


def _child_day(world: World, child: Child, day: date, weekend: bool) -> None:
    rng, options = world.rng, world.options
    age = age_on(child, day)
    spell = child.spell_on(day)
    if (
        not weekend
        and spell
        and spell.published
        and spell.urn
        and rng.random() < options.concern_rate
    ):
        concern(world, child, world.population.setting(spell.urn).agency, day)
    if child.nhs_number is None:
        return  # health services do not know the child yet
    if age < 5 and rng.random() < options.visit_rate_under_5:
        visit(world, child, day, "HEALTH_VISITOR", age)
    elif age >= 5 and not weekend and rng.random() < options.visit_rate_school_age:
        visit(world, child, day, "SCHOOL_NURSE", age)
