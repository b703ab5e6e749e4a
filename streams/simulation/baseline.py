"""What agencies already knew before the period: registrations, rolls, open plans and cases.

Events here happened before the first simulated day, with their true dates; some of the
cases they open close or change during the period.
"""

from __future__ import annotations

from datetime import date, timedelta

from streams.simulation.log import local
from streams.simulation.model import (
    COUNCIL,
    FAMILY_HUB,
    FRONT_DOOR,
    HEALTH_0_19,
    POLICE,
    Child,
    Spell,
)
from streams.simulation.referrals import (
    close_early_help,
    refer,
    start_cp_plan,
    start_early_help,
    step_up,
)
from streams.simulation.world import World


def publish_baseline(world: World) -> None:
    """Registrations at birth and enrolment, enrolments, and cases open at the start."""
    rng, options, log = world.rng, world.options, world.log
    for household in world.population.households:
        for child in household.children:
            if (
                child.nhs_number is not None
            ):  # the birth notification puts the baby on the NHS spine
                born = child.date_of_birth + timedelta(days=rng.randint(1, 12))
                log.child_ref(child, "health", HEALTH_0_19, local(born, rng.randint(9, 16)))
            for spell in child.spells:
                if spell.published:
                    publish_enrolment(world, child, spell)
            if child.nhs_number is None and rng.random() < options.extra_registration_share:
                # Known to the council too (admissions, children missing education), but only
                # by name: a second record the hub can match on demographics alone.
                seen = world.day(-rng.randint(10, 200))
                log.child_ref(child, "council", FRONT_DOOR, world.office_time(seen))
            if rng.random() < options.cp_plan_share:
                _ongoing_cp_plan(world, child)
            elif rng.random() < options.looked_after_share:
                _ongoing_looked_after(world, child)
        if rng.random() < options.open_early_help_share:
            _ongoing_early_help(world, household.children)
        with world.side_stream():
            if world.rng.random() < options.previous_referral_share:
                _referred_before(world, household.children)


def publish_enrolment(world: World, child: Child, spell: Spell) -> None:
    """PupilEnrolled by the setting, or by the council's home education register."""
    agency = COUNCIL if spell.urn is None else world.population.setting(spell.urn).agency
    at = world.office_time(spell.start)
    world.log.emit(
        "PupilEnrolled",
        agency,
        subjects=[world.log.child_ref(child, "education", agency, at)],
        occurred=at,
        recorded=world.later(at, timedelta(minutes=5), timedelta(days=2)),
        payload={
            "school_urn": spell.urn,
            "upn": child.upn,
            "setting_kind": spell.setting_kind,
            "start_date": spell.start,
        },
        about=[child],
    )


def publish_leaving(
    world: World, child: Child, spell: Spell, *, destination: str | None, reason: str
) -> None:
    """PupilLeft by the setting the child leaves (`spell.end` is the last day on roll)."""
    assert spell.urn is not None
    assert spell.end is not None
    agency = world.population.setting(spell.urn).agency
    at = world.office_time(spell.end)
    world.log.emit(
        "PupilLeft",
        agency,
        subjects=[world.log.child_ref(child, "education", agency, at)],
        occurred=at,
        recorded=world.later(at, timedelta(minutes=5), timedelta(hours=20)),
        payload={
            "school_urn": spell.urn,
            "upn": child.upn,
            "setting_kind": spell.setting_kind,
            "leave_date": spell.end,
            "destination_urn": destination,
            "reason": reason,
        },
        about=[child],
    )


def _during(world: World) -> date:
    return world.day(world.rng.randrange(world.days))


def _ongoing_cp_plan(world: World, child: Child) -> None:
    began = world.office_time(world.day(-world.rng.randint(30, 270)))
    category = world.rng.choice(("NEGLECT", "EMOTIONAL_ABUSE", "PHYSICAL_ABUSE", "MULTIPLE"))
    plan_id = start_cp_plan(world, child, began, category=category)
    if plan_id is None or world.rng.random() >= 0.3:
        return
    ended = world.office_time(_during(world))
    log = world.log
    ref = log.child_ref(child, "council", FRONT_DOOR, ended)
    if log.emit(
        "ChildProtectionPlanEnded",
        FRONT_DOOR,
        subjects=[ref],
        occurred=ended,
        recorded=world.later(ended, timedelta(hours=1), timedelta(days=1)),
        payload={
            "plan_id": plan_id,
            "responsible_team_id": "stockton-cin-2",
            "reason": "Review conference: risks reduced; step down to early help.",
        },
        about=[child],
        role="Child protection chair",
    ):
        world.on_plan.discard(child.key)
        stepped = ended + timedelta(hours=2)
        log.emit(
            "SteppedDown",
            FRONT_DOOR,
            subjects=[ref],
            occurred=stepped,
            recorded=world.later(stepped, timedelta(minutes=5), timedelta(hours=6)),
            payload={
                "case_id": f"CASE-{log.next_number('case', 7000)}",
                "from_level": "SPECIALIST",
                "to_level": "TARGETED",
                "rationale": "Plan outcomes met; family agrees to early help.",
            },
            about=[child],
            role="Team manager",
        )


def _ongoing_looked_after(world: World, child: Child) -> None:
    log = world.log
    began = world.office_time(world.day(-world.rng.randint(20, 500)))
    period_id = f"LAC-{log.next_number('looked-after', 900)}"
    started = log.emit(
        "LookedAfterStarted",
        FRONT_DOOR,
        subjects=[log.child_ref(child, "council", FRONT_DOOR, began)],
        occurred=began,
        recorded=world.later(began, timedelta(hours=1), timedelta(days=1)),
        payload={
            "period_id": period_id,
            "legal_status": world.rng.choice(("section 20 accommodation", "interim care order")),
            "responsible_team_id": "stockton-cla-1",
        },
        about=[child],
    )
    if started is None or world.rng.random() >= 0.2:
        return
    ended = world.office_time(_during(world))
    log.emit(
        "LookedAfterEnded",
        FRONT_DOOR,
        subjects=[log.child_ref(child, "council", FRONT_DOOR, ended)],
        occurred=ended,
        recorded=world.later(ended, timedelta(hours=1), timedelta(days=1)),
        payload={
            "period_id": period_id,
            "responsible_team_id": "stockton-cla-1",
            "reason": "returned home",
        },
        about=[child],
    )


def _ongoing_early_help(world: World, children: list[Child]) -> None:
    opened = world.office_time(world.day(-world.rng.randint(20, 150)))
    case = start_early_help(world, children, opened, reason="Parenting support")
    if case is None:
        return
    roll = world.rng.random()
    at = world.office_time(_during(world))
    if roll < 0.1:
        close_early_help(world, case, children, at, "CONSENT_WITHDRAWN")
    elif roll < 0.2:
        close_early_help(world, case, children, at, "OUTCOMES_ACHIEVED")
    elif roll < 0.25:
        step_up(world, children, at)
        refer(
            world,
            FAMILY_HUB,
            "council",
            children,
            destination="FRONT_DOOR",
            category="escalating neglect",
            summary="Early help plan not reducing risk; step-up requested.",
            at=at - timedelta(hours=3),
            risk="MEDIUM",
        )
    elif roll < 0.25 + world.options.early_help_referral_share:
        # Still open: the family hub refers to the front door during the assessment.
        with world.side_stream():
            refer(
                world,
                FAMILY_HUB,
                "council",
                children,
                destination="FRONT_DOOR",
                category="neglect",
                summary="Home conditions deteriorating despite the early help plan.",
                at=at,
                risk="MEDIUM",
                follow_up=False,
            )


def _referred_before(world: World, children: list[Child]) -> None:
    """A police referral in the year before the period; some families are referred again
    during it (re-referrals within 12 months, for the partnership's indicators)."""
    at = world.office_time(world.day(-world.rng.randint(30, 330)))
    born = [c for c in children if c.date_of_birth < at.date() - timedelta(days=30)]
    if not born:
        return
    refer(
        world,
        POLICE,
        "police",
        born,
        destination="PITSTOP",
        category="child concern",
        summary="Children seen out late without an adult; police took them home.",
        at=at,
        risk="STANDARD",
        follow_up=False,
    )
    if world.rng.random() < world.options.re_referral_share:
        refer(
            world,
            POLICE,
            "police",
            born,
            destination="FRONT_DOOR",
            category="domestic abuse",
            summary="Further incident at the home; children linked.",
            at=world.office_time(_during(world)),
            risk="HIGH",
            follow_up=False,
        )
