"""Referrals, their outcomes after realistic delays, and what follows: early help, CP plans."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final

from streams.simulation.log import LONDON
from streams.simulation.model import FAMILY_HUB, FRONT_DOOR, PITSTOP, SALT, Agency, Child
from streams.simulation.world import EarlyHelpCase, ReferralTruth, World

# destination -> (receiving agency, its identifier family, outcome weights)
_RECEIVERS: Final[dict[str, tuple[Agency, str, dict[str, int]]]] = {
    "FRONT_DOOR": (
        FRONT_DOOR,
        "council",
        {
            "ACCEPTED": 30,
            "ADVICE_GIVEN": 15,
            "NO_FURTHER_ACTION": 20,
            "PASSED_TO_ANOTHER_AGENCY": 30,
            "REJECTED": 5,
        },
    ),
    "PITSTOP": (
        PITSTOP,
        "police",
        {
            "ADVICE_GIVEN": 30,
            "PASSED_TO_ANOTHER_AGENCY": 40,
            "NO_FURTHER_ACTION": 25,
            "ACCEPTED": 5,
        },
    ),
    "EARLY_HELP": (FAMILY_HUB, "council", {"ACCEPTED": 70, "ADVICE_GIVEN": 20, "REJECTED": 10}),
    "HEALTH_SERVICE": (SALT, "health", {"ACCEPTED": 80, "REJECTED": 20}),
}
_REJECTIONS: Final = {
    "FRONT_DOOR": "Insufficient information to assess against the threshold; referrer to resubmit.",
    "EARLY_HELP": "Family declined early help support when contacted.",
    "HEALTH_SERVICE": "Referral criteria not met; advice sheet sent to the family.",
}
# Planted overdue referrals are made early enough that every timer has run out by the end.
_OVERDUE_MARGIN: Final = timedelta(days=3)
# The coded primary need of an early help assessment (Supporting Families headline outcomes),
# from the concern that led to it; anything else is OTHER.
_NEEDS: Final = {
    "Parenting support": "FAMILY_RELATIONSHIPS",
    "neglect": "ABUSE_AND_EXPLOITATION",
    "escalating neglect": "ABUSE_AND_EXPLOITATION",
    "physical injury": "ABUSE_AND_EXPLOITATION",
    "online safety": "ABUSE_AND_EXPLOITATION",
    "attendance": "EDUCATION",
    "emotional wellbeing": "HEALTH",
    "domestic abuse": "DOMESTIC_ABUSE",
    "domestic abuse disclosure": "DOMESTIC_ABUSE",
    "speech and language delay": "EARLY_YEARS_DEVELOPMENT",
}


def _outcome_time(world: World, destination: str, made: datetime) -> datetime:
    if destination == "FRONT_DOOR":  # decided within one working day
        return world.later(made, timedelta(hours=2), timedelta(hours=22))
    if destination == "PITSTOP":  # the next panel, which sits on working days
        return world.office_time(world.working_day_after(made, world.rng.randint(1, 3)))
    if destination == "EARLY_HELP":
        return world.office_time(world.working_day_after(made, world.rng.randint(1, 6)))
    return world.office_time(world.working_day_after(made, world.rng.randint(5, 30)))


def refer(
    world: World,
    referrer: Agency,
    family: str,
    children: Sequence[Child],
    *,
    destination: str,
    category: str,
    summary: str,
    at: datetime,
    risk: str | None = None,
    follow_up: bool = True,
) -> ReferralTruth | None:
    """Publish a referral and, unless planted as overdue, its outcome; then the follow-up
    (early help, a step-up, a plan) unless `follow_up` is False."""
    log = world.log
    number = log.next_number("referral")
    referral_id = f"REF-{at.astimezone(LONDON).year}-{number:05d}"
    subjects = [log.child_ref(c, family, referrer, at) for c in children]
    made_id = log.emit(
        "ReferralMade",
        referrer,
        subjects=subjects,
        occurred=at,
        recorded=world.later(at, timedelta(minutes=5), timedelta(minutes=90)),
        payload={
            "referral_id": referral_id,
            "destination": destination,
            "service_name": "Speech and language therapy"
            if destination == "HEALTH_SERVICE"
            else None,
            "category": category,
            "risk_level": risk,
            "summary": summary,
        },
        about=children,
    )
    if made_id is None:
        return None
    truth = ReferralTruth(
        referral_id=referral_id,
        destination=destination,
        referrer_agency_id=referrer.agency_id,
        child_keys=[c.key for c in children],
        made_event_id=made_id,
        made_at=at,
        status="pending",
    )
    world.referrals.append(truth)
    overdue = at + _OVERDUE_MARGIN < world.end and (
        world.rng.random() < world.options.overdue_referral_share
    )
    if overdue:
        truth.status = "overdue"
        return truth
    receiver, receiver_family, weights = _RECEIVERS[destination]
    outcome = world.rng.choices(list(weights), weights=list(weights.values()))[0]
    decided = _outcome_time(world, destination, at)
    outcome_id = log.emit(
        "ReferralOutcomeRecorded",
        receiver,
        subjects=[log.child_ref(c, receiver_family, receiver, decided) for c in children],
        occurred=decided,
        recorded=world.later(decided, timedelta(minutes=1), timedelta(minutes=40)),
        payload={
            "referral_id": referral_id,
            "outcome": outcome,
            "reason": _REJECTIONS.get(destination) if outcome == "REJECTED" else None,
            "passed_to_agency_id": FAMILY_HUB.agency_id
            if outcome == "PASSED_TO_ANOTHER_AGENCY"
            else None,
        },
        about=children,
    )
    if outcome_id is None:
        return truth
    truth.status, truth.outcome, truth.outcome_event_id = "closed", outcome, outcome_id
    if not follow_up:
        return truth
    if outcome == "PASSED_TO_ANOTHER_AGENCY" or (
        destination == "EARLY_HELP" and outcome == "ACCEPTED"
    ):
        start_early_help(world, children, decided, reason=category)
    elif destination == "FRONT_DOOR" and outcome == "ACCEPTED" and _open_case(world, children):
        step_up(world, children, decided + timedelta(hours=1))
    elif destination == "FRONT_DOOR" and outcome == "ACCEPTED" and world.rng.random() < 0.3:
        conference = world.office_time(world.working_day_after(decided, world.rng.randint(8, 15)))
        for child in children:
            start_cp_plan(world, child, conference, category="EMOTIONAL_ABUSE")
    return truth


def start_early_help(
    world: World, children: Sequence[Child], after: datetime, *, reason: str
) -> EarlyHelpCase | None:
    """Consent, then an early help assessment for the household (unless one is open)."""
    household = children[0].household
    if household in world.early_help and not world.early_help[household].closed:
        return None
    log = world.log
    consent_at = world.office_time(world.working_day_after(after, world.rng.randint(1, 4)))
    consent_id = f"CONSENT-{log.next_number('consent', 3001)}"
    given = log.emit(
        "ConsentGiven",
        FAMILY_HUB,
        subjects=[log.child_ref(c, "council", FAMILY_HUB, consent_at) for c in children],
        occurred=consent_at,
        recorded=world.later(consent_at, timedelta(minutes=10), timedelta(hours=4)),
        payload={
            "consent_id": consent_id,
            "scope": "EARLY_HELP_SHARING",
            "given_by": world.rng.choice(("mother", "father", "carer")),
        },
        about=children,
    )
    if given is None:
        return None
    started_at = world.office_time(world.working_day_after(consent_at, world.rng.randint(1, 5)))
    case = EarlyHelpCase(
        assessment_id=f"EHA-{log.next_number('assessment', 400)}",
        consent_id=consent_id,
        child_keys=[c.key for c in children],
    )
    started = log.emit(
        "EarlyHelpAssessmentStarted",
        FAMILY_HUB,
        subjects=[log.child_ref(c, "council", FAMILY_HUB, started_at) for c in children],
        occurred=started_at,
        recorded=world.later(started_at, timedelta(minutes=10), timedelta(hours=6)),
        payload={
            "assessment_id": case.assessment_id,
            "lead_practitioner": "Family Hub worker (lead practitioner)",
            "lead_agency_id": FAMILY_HUB.agency_id,
            "reason": reason,
            "consent_id": consent_id,
            "primary_need": _NEEDS.get(reason, "OTHER"),
        },
        about=children,
    )
    if started is not None:
        world.early_help[household] = case
    return case


def close_early_help(
    world: World, case: EarlyHelpCase, children: Sequence[Child], at: datetime, reason: str
) -> None:
    """Close the assessment, after the family withdraws consent when that is the reason."""
    log = world.log
    if reason == "CONSENT_WITHDRAWN":
        log.emit(
            "ConsentWithdrawn",
            FAMILY_HUB,
            subjects=[log.child_ref(c, "council", FAMILY_HUB, at) for c in children],
            occurred=at,
            recorded=world.later(at, timedelta(minutes=10), timedelta(hours=3)),
            payload={
                "consent_id": case.consent_id,
                "scope": "EARLY_HELP_SHARING",
                "withdrawn_by": "mother",
                "reason": "Family no longer wish to work with the Family Hub.",
            },
            about=children,
        )
    closed_at = at + timedelta(hours=4)
    if (
        log.emit(
            "EarlyHelpAssessmentClosed",
            FAMILY_HUB,
            subjects=[log.child_ref(c, "council", FAMILY_HUB, closed_at) for c in children],
            occurred=closed_at,
            recorded=world.later(closed_at, timedelta(minutes=5), timedelta(hours=2)),
            payload={
                "assessment_id": case.assessment_id,
                "closure_reason": reason,
                "closure_summary": None,
            },
            about=children,
        )
        is not None
    ):
        case.closed = True


def start_cp_plan(world: World, child: Child, at: datetime, *, category: str) -> str | None:
    """A child protection plan from an initial conference; returns the plan id if published."""
    if child.key in world.on_plan:
        return None
    log = world.log
    plan_id = f"CPP-{log.next_number('cp-plan', 5000)}"
    emitted = log.emit(
        "ChildProtectionPlanStarted",
        FRONT_DOOR,
        subjects=[log.child_ref(child, "council", FRONT_DOOR, at)],
        occurred=at,
        recorded=world.later(at, timedelta(hours=1), timedelta(days=2)),
        payload={"plan_id": plan_id, "category": category, "responsible_team_id": "stockton-cin-2"},
        about=[child],
        role="Child protection chair",
    )
    if emitted is None:
        return None
    world.on_plan.add(child.key)
    return plan_id


def _open_case(world: World, children: Sequence[Child]) -> EarlyHelpCase | None:
    case = world.early_help.get(children[0].household)
    return case if case is not None and not case.closed else None


def step_up(world: World, children: Sequence[Child], at: datetime) -> None:
    """Social care takes the family over from early help, which closes its assessment."""
    log = world.log
    stepped = log.emit(
        "SteppedUp",
        FRONT_DOOR,
        subjects=[log.child_ref(c, "council", FRONT_DOOR, at) for c in children],
        occurred=at,
        recorded=world.later(at, timedelta(minutes=30), timedelta(hours=8)),
        payload={
            "case_id": f"CASE-{log.next_number('case', 7000)}",
            "from_level": "COMPLEX",
            "to_level": "SPECIALIST",
            "rationale": "Concerns escalating despite the early help plan.",
        },
        about=children,
        role="Team manager",
    )
    case = _open_case(world, children)
    if stepped is not None and case is not None:
        household = world.household(children[0].household)
        members = [c for c in household.children if c.key in case.child_keys]
        close_early_help(world, case, members, at + timedelta(days=1), "STEPPED_UP")
