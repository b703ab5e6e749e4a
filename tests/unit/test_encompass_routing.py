"""Who receives an Encompass notification, rule by rule, and where a child is on roll."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from streams.encompass.model import (
    AreaConfig,
    IncidentFacts,
    KeyAdult,
    LinkedChild,
    Service,
    Setting,
    SettingKind,
)
from streams.encompass.routing import (
    EncompassNotificationRequested,
    Enrolment,
    EnrolmentEvent,
    HomeEducated,
    PupilEnrolled,
    PupilLeft,
    RecipientKind,
    RouteReason,
    age_on,
    current_enrolment,
    enrolment_status,
    escalation_recipient,
    fold_enrolments,
    requires_notification,
    route,
    validate_request,
)

INCIDENT_DAY = date(2026, 11, 18)
COORDINATOR = Service(service_id="LA999-ENC", name="Northbrook Encompass", contact_name="R. Ahmed")
FRONT_DOOR = Service(service_id="LA999-FD", name="Northbrook Children's Hub")
HEALTH_VISITING = Service(service_id="HV-N", name="Northbrook Health Visiting")
MIDWIFERY = Service(service_id="MW-N", name="Northbrook Midwifery")
OAK = Setting(urn="999001", name="Oak Primary", key_adult=KeyAdult(name="Jo Smith"))
ASH = Setting(urn="999002", name="Ash Academy", key_adult=KeyAdult(name="Sam Lee"))
ELM = Setting(urn="999004", name="Elm Juniors", key_adult=None)
ACORNS = Setting(
    urn="EY123", name="Acorns Nursery", kind=SettingKind.EARLY_YEARS, key_adult=KeyAdult(name="Pat")
)
CONFIG = AreaConfig(
    local_authority="999",
    coordinator=COORDINATOR,
    front_door=FRONT_DOOR,
    settings={s.urn: s for s in (OAK, ASH, ELM, ACORNS)},
)
EARLY_YEARS_CONFIG = replace(CONFIG, early_years_extension=True, health_visiting=HEALTH_VISITING)


def child(dob: date = date(2018, 3, 1), key: str = "C1") -> LinkedChild:
    return LinkedChild(child_key=key, name="Alex Doe", date_of_birth=dob, present=True)


def incident(*, pregnancy: bool = False) -> IncidentFacts:
    at = datetime(2026, 11, 18, 20, tzinfo=UTC)
    return IncidentFacts(
        police_reference="NP-1",
        occurred_at=at,
        recorded_at=at,
        place="Home address",
        circumstances="Verbal argument",
        local_authority="999",
        pregnancy_noted=pregnancy,
    )


def on_roll(urn: str) -> Enrolment:
    return Enrolment(child_key="C1", urn=urn, enrolled_on=date(2025, 9, 1))


# --- Routing rules ---------------------------------------------------------------------------


def test_child_on_roll_at_a_school_goes_to_its_key_adult_by_name() -> None:
    [r] = route(child(), on_roll(OAK.urn), CONFIG, incident())
    assert (r.kind, r.organisation_id, r.person_name) == (
        RecipientKind.KEY_ADULT,
        OAK.urn,
        "Jo Smith",
    )
    assert r.reason is RouteReason.ENROLLED


def test_school_with_no_named_key_adult_cannot_receive_and_escalates_to_the_coordinator() -> None:
    [r] = route(child(), on_roll(ELM.urn), CONFIG, incident())
    assert r.kind is RecipientKind.LA_COORDINATOR
    assert r.reason is RouteReason.NO_KEY_ADULT
    assert r.intended_urn == ELM.urn


def test_school_the_area_does_not_know_goes_to_the_coordinator() -> None:
    [r] = route(child(), on_roll("555555"), CONFIG, incident())
    assert (r.kind, r.reason, r.intended_urn) == (
        RecipientKind.LA_COORDINATOR,
        RouteReason.UNKNOWN_SETTING,
        "555555",
    )


def test_no_school_known_goes_to_the_la_coordinator() -> None:
    [r] = route(child(), None, CONFIG, incident())
    assert (r.kind, r.reason, r.person_name) == (
        RecipientKind.LA_COORDINATOR,
        RouteReason.NO_SCHOOL_KNOWN,
        "R. Ahmed",
    )


def test_elective_home_education_goes_to_the_la_coordinator() -> None:
    ehe = HomeEducated(child_key="C1", since=date(2026, 7, 1))
    [r] = route(child(), ehe, CONFIG, incident())
    assert (r.kind, r.reason) == (RecipientKind.LA_COORDINATOR, RouteReason.ELECTIVE_HOME_EDUCATION)


def test_under_five_where_extended_goes_to_the_early_years_setting_and_health_visitor() -> None:
    toddler = child(dob=date(2023, 5, 1))
    setting, hv = route(toddler, on_roll(ACORNS.urn), EARLY_YEARS_CONFIG, incident())
    assert (setting.kind, setting.person_name) == (RecipientKind.EARLY_YEARS_SETTING, "Pat")
    assert (hv.kind, hv.organisation_id) == (
        RecipientKind.HEALTH_VISITOR,
        HEALTH_VISITING.service_id,
    )


def test_aged_four_on_the_incident_date_counts_as_under_five_but_five_does_not() -> None:
    four = child(dob=date(2021, 11, 19))  # fifth birthday the day after the incident
    five = child(dob=date(2021, 11, 18))  # fifth birthday on the incident date
    assert [r.kind for r in route(four, None, EARLY_YEARS_CONFIG, incident())] == [
        RecipientKind.LA_COORDINATOR,
        RecipientKind.HEALTH_VISITOR,
    ]
    assert [r.kind for r in route(five, None, EARLY_YEARS_CONFIG, incident())] == [
        RecipientKind.LA_COORDINATOR
    ]


def test_under_five_where_not_extended_gets_no_health_visitor_and_setting_is_not_a_recipient() -> (
    None
):
    toddler = child(dob=date(2023, 5, 1))
    [r] = route(toddler, on_roll(ACORNS.urn), CONFIG, incident())
    assert (r.kind, r.reason) == (
        RecipientKind.LA_COORDINATOR,
        RouteReason.EARLY_YEARS_NOT_EXTENDED,
    )


def test_pregnancy_noted_adds_midwifery_where_configured() -> None:
    with_mw = replace(CONFIG, midwifery=MIDWIFERY)
    kinds = [r.kind for r in route(child(), on_roll(OAK.urn), with_mw, incident(pregnancy=True))]
    assert kinds == [RecipientKind.KEY_ADULT, RecipientKind.MIDWIFERY]


def test_pregnancy_noted_without_midwifery_configured_adds_nobody() -> None:
    kinds = [r.kind for r in route(child(), on_roll(OAK.urn), CONFIG, incident(pregnancy=True))]
    assert kinds == [RecipientKind.KEY_ADULT]


def test_escalations_go_to_the_coordinator_or_the_front_door_when_the_coordinator_is_late() -> None:
    [school] = route(child(), on_roll(OAK.urn), CONFIG, incident())
    [coord] = route(child(), None, CONFIG, incident())
    assert escalation_recipient(CONFIG, school).kind is RecipientKind.LA_COORDINATOR
    assert escalation_recipient(CONFIG, coord).kind is RecipientKind.FRONT_DOOR
    no_front_door = replace(CONFIG, front_door=None)
    assert escalation_recipient(no_front_door, coord).kind is RecipientKind.LA_COORDINATOR


def test_encompass_is_for_children_under_18_linked_to_domestic_abuse() -> None:
    assert requires_notification(incident(), child())
    assert not requires_notification(incident(), child(dob=date(2008, 11, 18)))
    assert not requires_notification(replace(incident(), domestic_abuse=False), child())


def test_leap_day_birthday_turns_over_on_the_first_of_march() -> None:
    assert age_on(date(2020, 2, 29), date(2025, 2, 28)) == 4
    assert age_on(date(2020, 2, 29), date(2025, 3, 1)) == 5


# --- Enrolment fold --------------------------------------------------------------------------

MOVE: list[EnrolmentEvent] = [
    PupilEnrolled(child_key="C1", urn=OAK.urn, enrolled_on=date(2024, 9, 4)),
    PupilLeft(child_key="C1", urn=OAK.urn, left_on=date(2026, 10, 23)),
    PupilEnrolled(child_key="C1", urn=ASH.urn, enrolled_on=date(2026, 11, 2)),
    PupilLeft(child_key="C1", urn=ASH.urn, left_on=date(2027, 3, 31), elective_home_education=True),
    # A duplicate (redelivery) and a re-enrolment at the first school later on.
    PupilEnrolled(child_key="C1", urn=OAK.urn, enrolled_on=date(2024, 9, 4)),
    PupilEnrolled(child_key="C1", urn=OAK.urn, enrolled_on=date(2027, 9, 6)),
]
PROBES = [
    date(2024, 9, 3),
    date(2025, 1, 10),
    date(2026, 10, 23),
    date(2026, 10, 28),
    date(2026, 11, 18),
    date(2027, 3, 31),
    date(2027, 4, 1),
    date(2027, 9, 6),
]


def test_current_enrolment_is_decided_by_effective_dates() -> None:
    history = fold_enrolments("C1", MOVE)
    urns = [
        (s.urn if isinstance(s, Enrolment) else type(s).__name__ if s else None)
        for s in (enrolment_status(history, d) for d in PROBES)
    ]
    assert urns == [None, OAK.urn, OAK.urn, None, ASH.urn, ASH.urn, "HomeEducated", OAK.urn]


def test_new_school_before_the_old_leave_arrives_wins_by_later_start() -> None:
    history = fold_enrolments("C1", [MOVE[0], MOVE[2]])
    current = current_enrolment(history, date(2026, 11, 18))
    assert current is not None
    assert current.urn == ASH.urn


def test_leave_arriving_before_its_enrolment_still_closes_it() -> None:
    history = fold_enrolments("C1", [MOVE[1], MOVE[0]])
    assert current_enrolment(history, date(2026, 11, 18)) is None


@given(st.permutations(MOVE))
def test_any_arrival_order_gives_the_same_answer(events: list[EnrolmentEvent]) -> None:
    reference = fold_enrolments("C1", MOVE)
    history = fold_enrolments("C1", events)
    assert history == reference
    assert [enrolment_status(history, d) for d in PROBES] == [
        enrolment_status(reference, d) for d in PROBES
    ]


# --- Police-addressed notifications ----------------------------------------------------------


def requested(named: str | None) -> EncompassNotificationRequested:
    return EncompassNotificationRequested(incident=incident(), child=child(), named_urn=named)


def test_police_naming_the_current_school_is_a_delivery_there() -> None:
    history = fold_enrolments("C1", MOVE)
    result = validate_request(requested(ASH.urn), history, CONFIG)
    assert result.rerouted_from is None
    assert result.recipients[0].organisation_id == ASH.urn


def test_police_naming_a_school_the_child_left_is_a_reroute_to_the_current_school() -> None:
    history = fold_enrolments("C1", MOVE)
    result = validate_request(requested(OAK.urn), history, CONFIG)
    assert result.rerouted_from == OAK.urn
    assert result.recipients[0].organisation_id == ASH.urn


def test_police_naming_a_school_left_with_no_new_one_is_a_reroute_to_the_coordinator() -> None:
    history = fold_enrolments("C1", MOVE[:2])
    result = validate_request(requested(OAK.urn), history, CONFIG)
    assert result.rerouted_from == OAK.urn
    assert result.recipients[0].kind is RecipientKind.LA_COORDINATOR
    assert result.reason is not None
    assert "left" in result.reason


def test_police_naming_a_school_we_know_nothing_against_is_trusted() -> None:
    result = validate_request(requested(OAK.urn), fold_enrolments("C1", []), CONFIG)
    assert result.rerouted_from is None
    assert result.recipients[0].person_name == "Jo Smith"


def test_registered_as_home_educated_is_home_education_until_a_school_enrols() -> None:
    events: list[EnrolmentEvent] = [
        PupilEnrolled(child_key="C1", urn=OAK.urn, enrolled_on=date(2024, 9, 4)),
        PupilEnrolled(child_key="C1", urn=None, enrolled_on=date(2026, 1, 5)),  # no leave seen
        PupilEnrolled(child_key="C1", urn=ASH.urn, enrolled_on=date(2027, 1, 4)),
    ]
    history = fold_enrolments("C1", events)
    assert enrolment_status(history, date(2026, 11, 18)) == HomeEducated(
        child_key="C1", since=date(2026, 1, 5)
    )
    assert current_enrolment(history, date(2026, 11, 18)) is None
    assert current_enrolment(history, date(2027, 1, 4)) == Enrolment(
        child_key="C1", urn=ASH.urn, enrolled_on=date(2027, 1, 4)
    )


def test_police_not_knowing_the_school_routes_by_enrolment_without_a_reroute() -> None:
    history = fold_enrolments("C1", MOVE)
    result = validate_request(requested(None), history, CONFIG)
    assert result.rerouted_from is None
    assert result.recipients[0].organisation_id == ASH.urn


def test_police_naming_a_school_for_a_home_educated_child_reroutes_to_the_coordinator() -> None:
    history = fold_enrolments("C1", MOVE[:4])
    result = validate_request(
        replace(
            requested(ASH.urn),
            incident=replace(incident(), recorded_at=datetime(2027, 5, 4, 9, tzinfo=UTC)),
        ),
        history,
        CONFIG,
    )
    assert result.rerouted_from == ASH.urn
    assert result.recipients[0].reason is RouteReason.ELECTIVE_HOME_EDUCATION
