"""The shipped agreement, event type by event type and role by role.

The table below is the agreement restated. Each row: who discloses, to which roles, and
what each role gets in three situations of the child:
  consenting - the family consents to early help sharing; not open to social care
  withdrawn  - the family has withdrawn consent; not open to social care
  on CP plan - on a child protection plan (so open to social care); consent withdrawn
A cell is "<level> <basis>", "withdrawn" (refused: consent withdrawn) or "-" (refused: no
rule). Anything not in the table is refused in every situation (checked by the sweep).

Roles:  DSL school DSL, EY early years DSL, HV health visitor, SN school nurse, MW midwife,
        GP, FD front door social worker, EHL early help lead practitioner, TAF TAF member,
        PIT PiTstop panel, POL police, LAEC LA Encompass coordinator.
        Each role is connected to the child in its usual way (school: enrolled there, GP:
        registered, FD / HV / SN / MW / EHL: allocated, TAF: in the team around the
        family, PIT: panel member, POL / LAEC: on duty for the area); ROLE@RELATIONSHIP
        says otherwise.
From:   police, partners (everyone but police), any, or agency kinds joined by "+".
Bases:  part3 (DPA 2018 Part 3/Sch.8), sch1 (Sch.1 para 18), s16la (duty to share),
        public (public task), consent (EARLY_HELP_SHARING).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import product

import pytest

from streams.policy.agreement import Agreement, default_agreement_text, load_default_agreement
from streams.policy.consent import (
    ChildProtectionPlanStarted,
    ChildStatus,
    ConsentGiven,
    ConsentState,
    ConsentWithdrawn,
    fold,
)
from streams.policy.decision import (
    CandidateRecipient,
    Refusal,
    RefusalCode,
    Share,
    ShareableEvent,
    ShareDecision,
    decide_shares,
)
from streams.policy.vocabulary import (
    FOLLOWS_ORIGINAL,
    AgencyKind,
    Basis,
    EventType,
    Level,
    Relationship,
    Role,
)

AGREEMENT_TABLE = """
# from          | roles                   | consenting      | withdrawn       | on CP plan
IncidentRecorded
  police        | FD POL                  | full part3      | full part3      | full part3
  police        | HV SN MW EHL            | summary part3   | summary part3   | summary part3
  police        | DSL EY GP               | -               | -               | summary part3
  police        | PIT                     | summary part3   | summary part3   | summary part3
EncompassNotificationRequested
  police        | DSL EY LAEC HV MW       | full part3      | full part3      | full part3
ReferralMade:FRONT_DOOR
  police        | FD                      | full part3      | full part3      | full part3
  partners      | FD                      | full sch1       | full sch1       | full sch1
ReferralMade:PITSTOP
  police        | PIT                     | full part3      | full part3      | full part3
  partners      | PIT                     | full sch1       | full sch1       | full sch1
ReferralMade:EARLY_HELP
  any           | EHL                     | full consent    | withdrawn       | withdrawn
ReferralOutcomeRecorded
  partners      | DSL@REFERRER EY@REFERRER HV@REFERRER SN@REFERRER MW@REFERRER
                | summary sch1    | summary sch1    | summary sch1
  partners      | GP@REFERRER EHL@REFERRER TAF@REFERRER POL@REFERRER
                | summary sch1    | summary sch1    | summary sch1
  police        | DSL@REFERRER EY@REFERRER HV@REFERRER SN@REFERRER MW@REFERRER
                | summary part3   | summary part3   | summary part3
  police        | GP@REFERRER EHL@REFERRER TAF@REFERRER
                | summary part3   | summary part3   | summary part3
  police        | POL@REFERRER            | -               | -               | -
ConcernRaised
  partners      | FD                      | -               | -               | full s16la
  partners      | DSL EY HV SN GP         | -               | -               | summary s16la
  any           | EHL                     | full consent    | withdrawn       | withdrawn
  any           | TAF                     | summary consent | withdrawn       | withdrawn
  partners      | PIT                     | summary sch1    | summary sch1    | summary sch1
PupilEnrolled
  SCHOOL+EARLY_YEARS | SN HV              | summary public  | summary public  | summary public
  SCHOOL+EARLY_YEARS | FD                 | -               | -               | summary sch1
  any           | EHL                     | summary consent | withdrawn       | withdrawn
PupilLeft
  SCHOOL+EARLY_YEARS | SN HV              | summary public  | summary public  | summary public
  SCHOOL+EARLY_YEARS | FD                 | -               | -               | summary sch1
  any           | EHL                     | summary consent | withdrawn       | withdrawn
VisitRecorded
  HEALTH        | DSL EY                  | existence sch1  | existence sch1  | summary sch1
  HEALTH        | GP HV SN MW             | summary public  | summary public  | summary public
  HEALTH        | FD                      | -               | -               | full sch1
  any           | EHL                     | summary consent | withdrawn       | withdrawn
  any           | TAF                     | existence consent | withdrawn     | withdrawn
ConsentGiven
  any           | EHL TAF                 | summary public  | summary public  | summary public
ConsentWithdrawn
  any           | EHL TAF                 | summary public  | summary public  | summary public
EarlyHelpAssessmentStarted
  any           | EHL                     | full consent    | withdrawn       | withdrawn
  any           | TAF DSL EY              | summary consent | withdrawn       | withdrawn
  any           | HV SN GP                | existence consent | withdrawn     | withdrawn
  EARLY_HELP+LOCAL_AUTHORITY+VOLUNTARY | FD | -             | -               | summary sch1
EarlyHelpAssessmentClosed
  any           | EHL                     | full consent    | withdrawn       | withdrawn
  any           | TAF DSL EY              | summary consent | withdrawn       | withdrawn
  any           | HV SN GP                | existence consent | withdrawn     | withdrawn
  EARLY_HELP+LOCAL_AUTHORITY+VOLUNTARY | FD | -             | -               | summary sch1
ChildProtectionPlanStarted
  SOCIAL_CARE+LOCAL_AUTHORITY | DSL EY HV SN MW GP EHL | summary sch1 | summary sch1 | summary sch1
  SOCIAL_CARE+LOCAL_AUTHORITY | POL       | summary sch1    | summary sch1    | summary sch1
  SOCIAL_CARE+LOCAL_AUTHORITY | FD        | full sch1       | full sch1       | full sch1
ChildProtectionPlanEnded
  SOCIAL_CARE+LOCAL_AUTHORITY | DSL EY HV SN MW GP EHL | summary sch1 | summary sch1 | summary sch1
  SOCIAL_CARE+LOCAL_AUTHORITY | POL       | summary sch1    | summary sch1    | summary sch1
  SOCIAL_CARE+LOCAL_AUTHORITY | FD        | full sch1       | full sch1       | full sch1
LookedAfterStarted
  SOCIAL_CARE+LOCAL_AUTHORITY | DSL EY HV SN MW GP EHL | summary sch1 | summary sch1 | summary sch1
  SOCIAL_CARE+LOCAL_AUTHORITY | POL       | summary sch1    | summary sch1    | summary sch1
  SOCIAL_CARE+LOCAL_AUTHORITY | FD        | full sch1       | full sch1       | full sch1
LookedAfterEnded
  SOCIAL_CARE+LOCAL_AUTHORITY | DSL EY HV SN MW GP EHL | summary sch1 | summary sch1 | summary sch1
  SOCIAL_CARE+LOCAL_AUTHORITY | POL       | summary sch1    | summary sch1    | summary sch1
  SOCIAL_CARE+LOCAL_AUTHORITY | FD        | full sch1       | full sch1       | full sch1
SteppedUp
  SOCIAL_CARE+EARLY_HELP+LOCAL_AUTHORITY+VOLUNTARY | FD | full sch1 | full sch1 | full sch1
  SOCIAL_CARE+EARLY_HELP+LOCAL_AUTHORITY+VOLUNTARY | EHL TAF DSL EY
                | summary sch1    | summary sch1    | summary sch1
SteppedDown
  SOCIAL_CARE+EARLY_HELP+LOCAL_AUTHORITY+VOLUNTARY | FD | full sch1 | full sch1 | full sch1
  SOCIAL_CARE+LOCAL_AUTHORITY | EHL       | full sch1       | full sch1       | full sch1
  SOCIAL_CARE+LOCAL_AUTHORITY | DSL EY    | summary sch1    | summary sch1    | summary sch1
"""

ROLES = {
    "DSL": (Role.SCHOOL_DSL, Relationship.CHILD_ENROLLED_AT),
    "EY": (Role.EARLY_YEARS_DSL, Relationship.CHILD_ENROLLED_AT),
    "HV": (Role.HEALTH_VISITOR, Relationship.ALLOCATED),
    "SN": (Role.SCHOOL_NURSE, Relationship.ALLOCATED),
    "MW": (Role.MIDWIFE, Relationship.ALLOCATED),
    "GP": (Role.GP, Relationship.REGISTERED_WITH),
    "FD": (Role.FRONT_DOOR_SOCIAL_WORKER, Relationship.ALLOCATED),
    "EHL": (Role.EARLY_HELP_LEAD_PRACTITIONER, Relationship.ALLOCATED),
    "TAF": (Role.TAF_MEMBER, Relationship.TEAM_AROUND_FAMILY),
    "PIT": (Role.PITSTOP_PANEL, Relationship.PANEL_MEMBER),
    "POL": (Role.POLICE, Relationship.AREA_DUTY),
    "LAEC": (Role.LA_ENCOMPASS_COORDINATOR, Relationship.AREA_DUTY),
}
FROM = {
    "police": frozenset({AgencyKind.POLICE}),
    "partners": frozenset(AgencyKind) - {AgencyKind.POLICE},
    "any": frozenset(AgencyKind),
}
LEVELS = {"full": Level.FULL, "summary": Level.SUMMARY, "existence": Level.EXISTENCE_ONLY}
BASES = {
    "part3": Basis.LAW_ENFORCEMENT_DPA2018_PART3_SCH8,
    "sch1": Basis.SAFEGUARDING_DPA2018_SCH1_PARA18,
    "s16la": Basis.DUTY_TO_SHARE_S16LA,
    "public": Basis.PUBLIC_TASK,
    "consent": Basis.CONSENT,
}
SITUATIONS = ("consenting", "withdrawn", "on CP plan")
SCOPE = "EARLY_HELP_SHARING"
T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    event_type: EventType
    category: str | None
    source: AgencyKind
    role: Role
    relationship: Relationship
    situation: str

    def __str__(self) -> str:
        what = f"{self.event_type}:{self.category}" if self.category else str(self.event_type)
        return f"{what} from {self.source} to {self.role}@{self.relationship} ({self.situation})"


def parse_table(text: str) -> dict[Case, str]:
    """Expand the table into one expected cell per case; a case listed twice is a typo."""
    expected: dict[Case, str] = {}
    heading = ""
    pending = ""
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line:
            continue
        if not line.startswith(" "):
            heading = line
            continue
        pending = f"{pending} {line.strip()}" if pending else line.strip()
        columns = [c.strip() for c in pending.split("|")]
        if len(columns) < 5:
            continue  # the row carries on on the next line
        pending = ""
        sources, roles, *cells = columns
        name, _, category = heading.partition(":")
        agencies = FROM.get(sources) or frozenset(AgencyKind(a) for a in sources.split("+"))
        for token, source, (situation, cell) in product(
            roles.split(), agencies, zip(SITUATIONS, cells, strict=True)
        ):
            abbreviation, _, relationship = token.partition("@")
            role, usual = ROLES[abbreviation]
            case = Case(
                event_type=EventType(name),
                category=category or None,
                source=source,
                role=role,
                relationship=Relationship(relationship) if relationship else usual,
                situation=situation,
            )
            assert case not in expected, f"listed twice: {case}"
            expected[case] = cell
    return expected


EXPECTED = parse_table(AGREEMENT_TABLE)
AGREEMENT: Agreement = load_default_agreement()


def consent_and_status(situation: str) -> tuple[ConsentState, ChildStatus]:
    given = ConsentGiven(scope=SCOPE, by="parent-1", at=T0)
    withdrawn = ConsentWithdrawn(scope=SCOPE, by="parent-1", at=T0.replace(hour=10))
    if situation == "consenting":
        return fold(ConsentState(), [given]), ChildStatus()
    plan = ChildProtectionPlanStarted(at=T0, responsible_team="team-north")
    status = fold(ChildStatus(), [plan]) if situation == "on CP plan" else ChildStatus()
    return fold(ConsentState(), [given, withdrawn]), status


def decide(case: Case) -> ShareDecision:
    fields = AGREEMENT.fields_for(case.event_type, Level.FULL)
    event = ShareableEvent(
        event_id="evt-1",
        event_type=case.event_type,
        category=case.category,
        source_agency=case.source,
        content={name: f"<{name}>" for name in fields} | {"not_in_any_list": "x"},
    )
    recipient = CandidateRecipient(
        recipient_id="r-1",
        role=case.role,
        organisation_id="org-1",
        relationship=case.relationship,
    )
    consent, status = consent_and_status(case.situation)
    [decision] = decide_shares(event, consent, status, [recipient], AGREEMENT)
    return decision


def describe(decision: ShareDecision) -> str:
    """A decision written the way the table writes it."""
    if isinstance(decision, Share):
        level = next(k for k, v in LEVELS.items() if v is decision.level)
        basis = next(k for k, v in BASES.items() if v is decision.basis)
        return f"{level} {basis}"
    assert isinstance(decision, Refusal)
    return {RefusalCode.CONSENT_WITHDRAWN: "withdrawn", RefusalCode.NOT_IN_AGREEMENT: "-"}.get(
        decision.code, str(decision.code)
    )


@pytest.mark.parametrize(("case", "cell"), EXPECTED.items(), ids=str)
def test_agreement_table(case: Case, cell: str) -> None:
    decision = decide(case)
    assert describe(decision) == " ".join(cell.split())
    if isinstance(decision, Share):
        assert decision.policy_version == AGREEMENT.version
        assert set(decision.content) <= AGREEMENT.fields_for(case.event_type, decision.level)
        assert "not_in_any_list" not in decision.content


def sweep() -> list[Case]:
    """Every event type, role (in its usual relationship), discloser and situation."""
    categories: dict[EventType, list[str | None]] = {t: [None] for t in EventType}
    categories[EventType.REFERRAL_MADE] += ["FRONT_DOOR", "PITSTOP", "EARLY_HELP"]
    return [
        Case(
            event_type=event_type,
            category=category,
            source=source,
            role=role,
            relationship=relationship,
            situation=situation,
        )
        for event_type in EventType
        if event_type not in FOLLOWS_ORIGINAL
        for category in categories[event_type]
        for (role, relationship) in ROLES.values()
        for source in AgencyKind
        for situation in SITUATIONS
    ]


def test_everything_not_in_the_table_is_refused() -> None:
    shared = [str(c) for c in sweep() if c not in EXPECTED and not isinstance(decide(c), Refusal)]
    assert shared == []


def test_the_table_and_the_agreement_cover_the_same_event_types() -> None:
    in_table = {case.event_type for case in EXPECTED}
    assert in_table == {rule.event_type for rule in AGREEMENT.rules}
    assert EventType.PERSON_REGISTERED not in in_table  # identifiers are never shared


def test_rule_numbers_in_the_comments_match_the_numbers_decisions_cite() -> None:
    # Decisions cite a rule by its position; the file's "# 12." comments must agree.
    text = default_agreement_text()
    rules_part = text[text.index("\nrules:") :]
    numbered = re.findall(r"^  # (\d+)\.", rules_part, flags=re.MULTILINE)
    entries = re.findall(r"^  - event:", rules_part, flags=re.MULTILINE)
    assert [int(n) for n in numbered] == list(range(1, len(entries) + 1))
