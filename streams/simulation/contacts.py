"""Everyday contacts: school concerns, health visits, and corrections of the entries they make."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any, Final

from streams.simulation.log import adult_ref, subject
from streams.simulation.model import HEALTH_0_19, MIDWIFERY, Agency, Child, Household
from streams.simulation.referrals import refer
from streams.simulation.world import World

_CONCERNS: Final = (
    ("neglect", "Arrived without a coat and said there was no breakfast.", "Breakfast club offered."),
    ("attendance", "Third unexplained absence this half term.", "Attendance officer to call home."),
    ("emotional wellbeing", "Tearful in class; said they cannot sleep.", "Referred to the school counsellor."),
    ("physical injury", "Bruise on the forearm; explanation inconsistent.", "DSL spoke to the parent."),
    ("domestic abuse disclosure", "Said dad shouted at mum last night.", "DSL logged and monitoring."),
    ("online safety", "Shared images from an unknown adult online.", "Parent informed; police advice sought."),
)  # fmt: skip
_HV_SUMMARIES: Final = (
    "Development review; on track.",
    "Home visit; feeding going well.",
    "2-year review; limited expressive language.",
    "Home visit; home conditions cluttered.",
)
_NURSE_SUMMARIES: Final = (
    "Drop-in appointment about sleep.",
    "Health review; weight monitored.",
    "Contact about low mood; signposted.",
)


def concern(world: World, child: Child, agency: Agency, day: date) -> None:
    """A school or setting logs a concern, sometimes referring on."""
    rng, log = world.rng, world.log
    category, summary, action = rng.choice(_CONCERNS)
    at = world.school_time(day)
    ref = log.child_ref(child, "education", agency, at)
    event_id = log.emit(
        "ConcernRaised",
        agency,
        subjects=[ref],
        occurred=at,
        recorded=world.later(at, timedelta(minutes=10), timedelta(hours=4)),
        payload={
            "concern_id": f"CPOMS-{log.next_number('concern', 88000)}",
            "category": category,
            "summary": summary,
            "action_taken": action,
            "restricted_categories": ["MENTAL_HEALTH_DETAIL"]
            if category == "emotional wellbeing"
            else [],
        },
        about=[child],
    )
    if event_id is None:
        return
    maybe_amend(world, agency, event_id, [ref], child, at)
    if rng.random() < 0.15:
        serious = category in ("physical injury", "domestic abuse disclosure")
        refer(
            world,
            agency,
            "education",
            [child],
            destination="FRONT_DOOR" if serious else "EARLY_HELP",
            category=category,
            summary=summary,
            at=world.later(at, timedelta(hours=1), timedelta(hours=6)),
            risk="MEDIUM" if serious else None,
        )


def visit(world: World, child: Child, day: date, practitioner: str, age: int) -> None:
    """A health visitor (under-5s) or school nurse contact, perhaps followed by a referral."""
    rng, log = world.rng, world.log
    visitor = practitioner == "HEALTH_VISITOR"
    role = "Health visitor" if visitor else "School nurse"
    summary = rng.choice(_HV_SUMMARIES if visitor else _NURSE_SUMMARIES)
    at = world.office_time(day)
    ref = log.child_ref(child, "health", HEALTH_0_19, at)
    event_id = log.emit(
        "VisitRecorded",
        HEALTH_0_19,
        subjects=[ref],
        occurred=at,
        recorded=world.later(at, timedelta(minutes=30), timedelta(hours=30)),
        payload={
            "visit_id": f"S1-CONTACT-{log.next_number('visit', 550000)}",
            "practitioner": practitioner,
            "summary": summary,
            "concerns": rng.random() < 0.15,
            "restricted_categories": [],
        },
        about=[child],
        role=role,
    )
    if event_id is None:
        return
    maybe_amend(world, HEALTH_0_19, event_id, [ref], child, at)
    if practitioner == "HEALTH_VISITOR" and 2 <= age <= 4 and rng.random() < 0.12:
        refer(
            world,
            HEALTH_0_19,
            "health",
            [child],
            destination="HEALTH_SERVICE",
            category="speech and language delay",
            summary="Limited expressive language at review; parent agrees to referral.",
            at=world.later(at, timedelta(hours=1), timedelta(days=2)),
        )


def midwife_visit(world: World, household: Household, nhs: str | None, day: date) -> None:
    """An antenatal contact: about the mother and the unborn child, so in no child's history."""
    mother = next((a for a in household.adults if a.nhs_number == nhs), None)
    if mother is None:
        return
    at = world.office_time(day)
    world.log.emit(
        "VisitRecorded",
        MIDWIFERY,
        subjects=[adult_ref(mother, "health"), subject("UNBORN_CHILD")],
        occurred=at,
        recorded=world.later(at, timedelta(minutes=30), timedelta(hours=12)),
        payload={
            "visit_id": f"BN-{world.log.next_number('midwife', 10000)}",
            "practitioner": "MIDWIFE",
            "summary": "Antenatal contact; routine enquiry about domestic abuse made.",
            "concerns": world.rng.random() < 0.2,
            "restricted_categories": [],
        },
        about=[],
    )


def maybe_amend(
    world: World,
    agency: Agency,
    original: str,
    subjects: list[dict[str, Any]],
    child: Child,
    at: datetime,
) -> None:
    """Sometimes the publisher corrects the entry, or retracts it as entered in error."""
    rng, log = world.rng, world.log
    roll = rng.random()
    if roll >= world.options.correction_share + world.options.retraction_share:
        return
    when = world.later(at, timedelta(hours=2), timedelta(days=3))
    by = f"{agency.role}, {agency.agency_id}"
    if roll < world.options.correction_share:
        log.emit(
            "EntryCorrected",
            agency,
            subjects=subjects,
            occurred=when,
            recorded=when,
            payload={
                "corrects_event_id": uuid.UUID(original),
                "corrected_fields": ["summary"],
                "correction_summary": "Summary amended after speaking to the family.",
                "reason": "Typing error",
                "corrected_by": by,
            },
            about=[child],
        )
    else:
        log.emit(
            "EntryRetracted",
            agency,
            subjects=subjects,
            occurred=when,
            recorded=when,
            payload={
                "retracts_event_id": uuid.UUID(original),
                "reason": "entered in error: wrong child",
                "retracted_by": by,
            },
            about=[child],
        )
