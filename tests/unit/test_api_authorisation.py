"""The authorisation matrix: every role x every endpoint x own / other organisation x entitled /
not entitled child -> 200 (or 202) or 404, never 403; and every successful read of a child's
record wrote exactly one RecordViewed per child it showed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from projections.api.model import alert_id
from projections.api.people import Person, Role
from tests.unit.api_fakes import Api, people_at, token_of

ROLES = tuple(Role)
A, B = people_at("a"), people_at("b")
URN = {"a": "111111", "b": "222222"}


@dataclass(frozen=True)
class Case:
    """One cell: who (role, at organisation a or b), which endpoint, about what."""

    role: Role
    side: str  # the person's organisation: "a" (the child's) or "b" (another)
    endpoint: str
    target: str  # "own" / "other" organisation's URN, or the child: "entitled" / "not_entitled"


def _school_urn(case: Case) -> str:
    own = URN[case.side]
    return own if case.target == "own" else ("222222" if own == "111111" else "111111")


def path_of(case: Case) -> tuple[str, str]:
    child = "C-A" if case.target == "entitled" else "C-NONE"
    if case.endpoint == "school_alerts":
        return "GET", f"/v1/schools/{_school_urn(case)}/alerts"
    if case.endpoint == "ack":
        urn = _school_urn(case)
        return "POST", f"/v1/schools/{urn}/alerts/{alert_id(f'CLE/{urn}', 'R-A')}/ack"
    if case.endpoint == "chronology":
        return "GET", f"/v1/children/{child}/chronology?reason=conference"
    if case.endpoint == "chronology_csv":
        return "GET", f"/v1/children/{child}/chronology?reason=conference&format=csv"
    if case.endpoint == "chronology_print":
        return "GET", f"/v1/children/{child}/chronology?reason=conference&format=print"
    if case.endpoint == "chronology_retracted":
        return "GET", f"/v1/children/{child}/chronology?reason=audit&include_retracted=true"
    if case.endpoint == "accesses":
        return "GET", f"/v1/children/{child}/accesses"
    return "GET", {
        "alerts": "/v1/alerts",
        "referrals": "/v1/referrals",
        "audit": "/v1/audit",
        "access_notices": "/v1/access-notices",
        "report": "/v1/report?month=2026-10",
    }[case.endpoint]


# The rules, written out by hand (not computed by the code under test).
def expected(case: Case) -> int:
    role, side, endpoint, target = case.role, case.side, case.endpoint, case.target
    entitled = side == "a" and target == "entitled"  # C-A is shared with side a only
    if endpoint == "school_alerts":
        # Only the school's own DSL; side b's school has no alerts but its inbox exists.
        return 200 if role is Role.SCHOOL_DSL and target == "own" else 404
    if endpoint == "ack":
        # Only side a's school has a notification to acknowledge.
        return 202 if role is Role.SCHOOL_DSL and target == "own" and side == "a" else 404
    if endpoint in ("chronology", "chronology_csv", "chronology_print"):
        if role is Role.DPO:
            return 200  # the auditor may read any known child's record (audited)
        return 200 if entitled else 404
    if endpoint == "chronology_retracted":
        return 200 if role is Role.DPO else 404
    if endpoint == "accesses":
        return 200 if role is Role.FRONT_DOOR_SOCIAL_WORKER and entitled else 404
    if endpoint == "alerts":
        with_inbox = (Role.SCHOOL_DSL, Role.FRONT_DOOR_SOCIAL_WORKER, Role.LA_ENCOMPASS_COORDINATOR)
        return 200 if role in with_inbox else 404
    if endpoint == "referrals":
        return 404 if role is Role.DPO else 200
    if endpoint == "audit":
        return 200 if role is Role.DPO else 404
    if endpoint == "report":
        return 200  # counts only, small numbers suppressed: every signed-in person
    if endpoint == "access_notices":
        return 200 if role is Role.FRONT_DOOR_SOCIAL_WORKER else 404  # both sides' have a team
    raise AssertionError(endpoint)


ORG_ENDPOINTS = ("school_alerts", "ack")
CHILD_ENDPOINTS = (
    "chronology",
    "chronology_csv",
    "chronology_print",
    "chronology_retracted",
    "accesses",
)
PLAIN_ENDPOINTS = ("alerts", "referrals", "audit", "access_notices", "report")
CASES = [
    Case(role, side, endpoint, target)
    for role in ROLES
    for side in ("a", "b")
    for endpoint, targets in (
        *((e, ("own", "other")) for e in ORG_ENDPOINTS),
        *((e, ("entitled", "not_entitled")) for e in CHILD_ENDPOINTS),
        *((e, ("-",)) for e in PLAIN_ENDPOINTS),
    )
    for target in targets
]


@pytest.fixture
def api() -> Iterator[Api]:
    running = Api([*A.values(), *B.values()])
    try:
        yield running
    finally:
        running.close()


def who(case: Case) -> Person:
    return (A if case.side == "a" else B)[case.role]


@pytest.mark.parametrize(
    "case", CASES, ids=lambda c: f"{c.role.value}-{c.side}-{c.endpoint}-{c.target}"
)
def test_matrix(api: Api, case: Case) -> None:
    method, path = path_of(case)
    answer = api.request(method, path, token=token_of(who(case)))
    assert answer.status == expected(case), answer.text
    viewed = api.sink.decoded("RecordViewed")
    if answer.status >= 400:
        assert viewed == [], "a refused read must leave no trace of the child"
        assert "C-A" not in answer.text
        assert "C-NONE" not in answer.text
        return
    reads_child = case.endpoint in CHILD_ENDPOINTS[:4] or case.endpoint in (
        "school_alerts",
        "alerts",
        "referrals",
    )
    children_shown = {"C-A"} if "C-A" in answer.text else set()
    if case.endpoint in CHILD_ENDPOINTS[:4]:
        children_shown = {"C-A" if case.target == "entitled" else "C-NONE"}
    if reads_child:
        assert sorted(v["child_id"] for v in viewed) == sorted(children_shown)
        for v in viewed:
            assert v["viewer_id"] == who(case).person_id
            assert v["viewer_role"] == case.role.value
            assert v["organisation_id"] == who(case).organisation_id
    else:
        assert viewed == []


def test_every_role_and_endpoint_is_in_the_matrix() -> None:
    assert {c.role for c in CASES} == set(Role)
    assert {c.endpoint for c in CASES} == {*ORG_ENDPOINTS, *CHILD_ENDPOINTS, *PLAIN_ENDPOINTS}
    assert len(CASES) == len(Role) * 2 * (2 * 2 + 5 * 2 + 5)


def test_no_token_is_401_and_a_bad_token_is_401(api: Api) -> None:
    assert api.request("GET", "/v1/alerts").status == 401
    assert api.request("GET", "/v1/alerts", token="hub_nope").status == 401


PathOf = Callable[[Case], tuple[str, str]]
