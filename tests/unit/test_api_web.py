"""The web pages with fakes: sign in, CSRF-protected acknowledge, reason before a chronology,
cookies that cannot be forged, the audit record's content, CSV and the OpenAPI document."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest

from projections.api import sessions
from projections.api.access import Filters, referral_views, visible_chronology
from projections.api.model import SharedReferral, alert_id, parse_alert_id
from projections.api.people import Role
from projections.audit_log import rows as audit_rows
from projections.model import SourceRecord
from schemas import codec
from tests.unit.api_fakes import E1, NOW, SESSION_KEY, Api, FakeReadModel, people_at, token_of

A = people_at("a")
DSL, DPO, HV = A[Role.SCHOOL_DSL], A[Role.DPO], A[Role.HEALTH_VISITOR]


@pytest.fixture
def api() -> Iterator[Api]:
    running = Api(list(A.values()))
    try:
        yield running
    finally:
        running.close()


def sign_in(api: Api, token: str) -> str:
    answer = api.request("POST", "/login", data={"token": token})
    assert answer.status == 303
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    return cookie.split(";")[0]


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found
    return found.group(1)


def test_pages_need_a_session(api: Api) -> None:
    answer = api.request("GET", "/inbox")
    assert answer.status == 303
    assert answer.headers["Location"] == "/login"


def test_a_wrong_token_does_not_sign_in(api: Api) -> None:
    answer = api.request("POST", "/login", data={"token": "hub_wrong"})
    assert answer.status == 401
    assert "not valid" in answer.text


def test_key_adult_acknowledges_from_the_inbox_with_csrf(api: Api) -> None:
    cookie = sign_in(api, token_of(DSL))
    inbox = api.request("GET", "/inbox", headers={"Cookie": cookie})
    assert inbox.status == 200
    assert "Amy Example" in inbox.text
    assert "<h1>" in inbox.text
    target = alert_id("CLE/111111", "R-A")
    refused = api.request(
        "POST", f"/inbox/{target}/ack", headers={"Cookie": cookie}, data={"csrf": "x"}
    )
    assert refused.status == 403
    assert api.sink.decoded("EncompassNotificationAcknowledged") == []
    done = api.request(
        "POST",
        f"/inbox/{target}/ack",
        headers={"Cookie": cookie},
        data={"csrf": csrf_of(inbox.text)},
    )
    assert done.status == 303
    (ack,) = api.sink.decoded("EncompassNotificationAcknowledged")
    assert ack["acknowledged_by"] == DSL.name
    assert ack["organisation_id"] == "111111"
    assert ack["police_reference"] == "CLE/111111"


def test_chronology_page_asks_for_a_reason_first_and_audits_the_read(api: Api) -> None:
    cookie = sign_in(api, token_of(DSL))
    first = api.request("GET", "/children/C-A", headers={"Cookie": cookie})
    assert first.status == 200
    assert 'for="reason"' in first.text
    assert api.sink.decoded("RecordViewed") == []
    page = api.request(
        "GET", "/children/C-A?reason=Encompass+follow-up", headers={"Cookie": cookie}
    )
    assert page.status == 200
    assert "summary " + E1 in page.text
    (viewed,) = api.sink.decoded("RecordViewed")
    assert viewed["reason"] == "Encompass follow-up"
    assert viewed["view"] == "chronology"
    assert viewed["child_status"] == "CHILD_PROTECTION_PLAN"
    assert viewed["notify_team"] == "hub-a"
    assert api.request("GET", "/children/C-NONE", headers={"Cookie": cookie}).status == 404


def test_chronology_without_reason_is_400_and_not_audited(api: Api) -> None:
    answer = api.request("GET", "/v1/children/C-A/chronology", token=token_of(DSL))
    assert answer.status == 400
    assert answer.json["error"] == "reason_required"
    assert api.sink.decoded("RecordViewed") == []


def test_forged_or_expired_cookies_are_refused() -> None:
    s = sessions.new_session("dsl-a", NOW)
    value = sessions.encode(s, SESSION_KEY)
    assert sessions.decode(value, SESSION_KEY, NOW) == s
    assert sessions.decode(value, b"another-key-0123456789", NOW) is None
    assert sessions.decode(value.replace(".", "x."), SESSION_KEY, NOW) is None
    assert sessions.decode(value, SESSION_KEY, NOW + timedelta(hours=11)) is None


def test_alert_ids_round_trip() -> None:
    assert parse_alert_id(alert_id("CLE/2026/1", "R-1")) == ("CLE/2026/1", "R-1")
    assert parse_alert_id("not-an-id!") is None


def test_partners_see_only_what_was_shared_at_its_level() -> None:
    import asyncio

    model = FakeReadModel()
    access = asyncio.run(model.child_access("C-A"))
    entries = asyncio.run(model.chronology(access, include_retracted=False, printed=False))
    seen = visible_chronology(HV, access, entries, Filters())
    assert [v.entry.entry_id for v in seen] == [E1]  # E2 was not shared with the health visitor
    assert seen[0].level == "SUMMARY"
    assert seen[0].entry.action_taken == ""
    assert len(visible_chronology(DPO, access, entries, Filters())) == 2
    only_police = visible_chronology(DPO, access, entries, Filters(agency="police"))
    assert [v.entry.source.agency_kind for v in only_police] == ["POLICE"]


def test_a_referral_without_an_outcome_after_one_working_day_is_overdue() -> None:
    made = SharedReferral(
        source_event_id=str(uuid.uuid4()),
        record_id="R",
        child_id="C",
        recipient_id="x",
        event_type="ReferralMade",
        level="FULL",
        content={"referral_id": "R1"},
        occurred_at=NOW - timedelta(days=4),
        shared_at=NOW,
    )
    (view,) = referral_views([made], now=NOW)
    assert view.timer == "overdue"
    (fresh,) = referral_views([made], now=made.occurred_at + timedelta(hours=2))
    assert fresh.timer == "open"


def test_the_audit_projection_maps_what_the_api_writes(api: Api) -> None:
    api.request("GET", "/v1/children/C-A/chronology?reason=why", token=token_of(DSL))
    (_, key, value) = api.sink.sent[0]
    assert key == b"C-A"
    (row,) = audit_rows(SourceRecord(topic="t", partition=0, offset=0, key=key, value=value))
    assert row.child_id == "C-A"
    assert row.viewer_id == DSL.person_id
    assert row.reason == "why"
    other = codec.decode(value)
    assert other.event_type == "RecordViewed"


def test_csv_export_defuses_formulas_and_openapi_lists_the_endpoints(api: Api) -> None:
    csv = api.request("GET", "/v1/children/C-A/chronology?reason=r&format=csv", token=token_of(DSL))
    assert csv.status == 200
    assert csv.text.splitlines()[0].startswith("occurred_at,")
    doc = api.request("GET", "/openapi.json").json
    assert "/v1/children/{child_id}/chronology" in doc["paths"]
    assert "/v1/schools/{urn}/alerts/{alert_id}/ack" in doc["paths"]


def test_metrics_count_audit_events_and_time_requests(api: Api) -> None:
    api.request("GET", "/v1/children/C-A/chronology?reason=r", token=token_of(DSL))
    text = api.request("GET", "/metrics").text
    assert 'hub_audit_events_written_total{view="chronology"} 1.0' in text
    assert 'endpoint="GET /v1/children/{child_id}/chronology",status="200"' in text


def test_every_role_has_the_name_its_holders_use() -> None:
    from projections.api.people import Role

    labels = {role: role.label for role in Role}
    assert labels[Role.SCHOOL_DSL] == "Designated Safeguarding Lead"
    assert all(label and "_" not in label for label in labels.values())


def test_a_social_worker_with_a_team_has_an_access_notices_page(api: Api) -> None:
    sw = A[Role.FRONT_DOOR_SOCIAL_WORKER]
    cookie = sign_in(api, token_of(sw))
    home = api.request("GET", "/", headers={"Cookie": cookie})
    assert 'href="/notices"' in home.text
    notices = api.request("GET", "/notices", headers={"Cookie": cookie})
    assert notices.status == 200
    assert "<h1>Reads of your team's children's records</h1>" in notices.text
    assert f"for whom {sw.team_id} is the responsible team" in notices.text
    dsl_cookie = sign_in(api, token_of(DSL))
    assert 'href="/notices"' not in api.request("GET", "/", headers={"Cookie": dsl_cookie}).text
    assert api.request("GET", "/notices", headers={"Cookie": dsl_cookie}).status == 404


def test_referrals_carry_the_hubs_timers_and_the_referrers_own_list(api: Api) -> None:
    sw = A[Role.FRONT_DOOR_SOCIAL_WORKER]
    answer = api.request("GET", "/v1/referrals", token=token_of(sw))
    assert answer.status == 200
    body = json.loads(answer.text)
    (shared,) = body["referrals"]
    assert shared["referral_id"] == "REF-1"
    # The projection's overdue flag wins over the one-working-day estimate from the share.
    assert shared["timer"] == "overdue"
    assert shared["hub_status"]["overdue_timer"] == "outcome"
    # The school that made REF-1 sees it in its own list, with no child in it.
    mine = json.loads(api.request("GET", "/v1/referrals", token=token_of(DSL)).text)
    assert [s["referral_id"] for s in mine["ours"]] == ["REF-1"]
    assert "child_id" not in mine["ours"][0]
    assert mine["referrals"] == []  # nothing about a child was shared with the DSL here
    cookie = sign_in(api, token_of(DSL))
    html = api.request("GET", "/referrals", headers={"Cookie": cookie}).text
    assert "REF-1" in html
    assert "overdue" in html


def test_the_report_suppresses_small_numbers_in_json_csv_and_page(api: Api) -> None:
    answer = api.request("GET", "/v1/report?month=2026-10", token=token_of(HV))
    rows = {(r["agency"], r["value"]) for r in json.loads(answer.text)["rows"]}
    assert rows == {("urn-111111", "7"), ("urn-222222", "<5")}
    csv_text = api.request("GET", "/v1/report?month=2026-10&format=csv", token=token_of(HV)).text
    assert csv_text.splitlines()[0] == "month,indicator,agency,dimension,value"
    assert "2026-10,referrals_by_source,urn-222222,PITSTOP,<5" in csv_text
    assert ",2," not in csv_text
    bad = api.request("GET", "/v1/report?month=October", token=token_of(HV))
    assert bad.status == 400
    cookie = sign_in(api, token_of(HV))
    html = api.request("GET", "/report?month=2026-10", headers={"Cookie": cookie}).text
    assert "Partnership indicators, 2026-10" in html
    assert 'style="width: 100%"' in html  # 7 is the largest shown number
    assert 'style="width: 0%"' in html  # "<5" draws no bar
