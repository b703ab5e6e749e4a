"""The closed vocabularies the sharing agreement is written in.

Every name here appears verbatim in the agreement file, so a typo there is caught on load
rather than silently matching nothing.
"""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    """Event types the hub accepts from agencies."""

    INCIDENT_RECORDED = "IncidentRecorded"
    ENCOMPASS_NOTIFICATION_REQUESTED = "EncompassNotificationRequested"
    REFERRAL_MADE = "ReferralMade"
    REFERRAL_OUTCOME_RECORDED = "ReferralOutcomeRecorded"
    CONCERN_RAISED = "ConcernRaised"
    PUPIL_ENROLLED = "PupilEnrolled"
    PUPIL_LEFT = "PupilLeft"
    VISIT_RECORDED = "VisitRecorded"
    PERSON_REGISTERED = "PersonRegistered"
    CONSENT_GIVEN = "ConsentGiven"
    CONSENT_WITHDRAWN = "ConsentWithdrawn"
    EARLY_HELP_ASSESSMENT_STARTED = "EarlyHelpAssessmentStarted"
    EARLY_HELP_ASSESSMENT_CLOSED = "EarlyHelpAssessmentClosed"
    CHILD_PROTECTION_PLAN_STARTED = "ChildProtectionPlanStarted"
    CHILD_PROTECTION_PLAN_ENDED = "ChildProtectionPlanEnded"
    LOOKED_AFTER_STARTED = "LookedAfterStarted"
    LOOKED_AFTER_ENDED = "LookedAfterEnded"
    STEPPED_UP = "SteppedUp"
    STEPPED_DOWN = "SteppedDown"
    ENTRY_CORRECTED = "EntryCorrected"
    ENTRY_RETRACTED = "EntryRetracted"
    # Identity decisions re-key records; they are never shared (like PersonRegistered).
    PERSONS_LINKED = "PersonsLinked"
    PERSONS_UNLINKED = "PersonsUnlinked"
    # Curation changes only which entries a lead practitioner prints; the agreement gives it no
    # rule, so every candidate is refused NOT_IN_AGREEMENT (recorded, like PersonRegistered).
    ENTRY_CURATED = "EntryCurated"
    # Referral follow-ups name the referral, not a child (schemas/README.md): they reach the
    # referrer and the receiving team through the referrals read model, keyed by referral id.
    # The agreement gives them no rule, so any that reaches this stage is refused and recorded.
    REFERRAL_ACKNOWLEDGED = "ReferralAcknowledged"
    REFERRAL_TRIAGED = "ReferralTriaged"
    PITSTOP_CONTRIBUTION_ADDED = "PitstopContributionAdded"
    PITSTOP_DECISION_RECORDED = "PitstopDecisionRecorded"


# A correction or retraction reaches exactly those who received the entry it supersedes
# (decided when the original was shared), so the agreement gives them no rules of their own.
FOLLOWS_ORIGINAL: frozenset[EventType] = frozenset(
    {EventType.ENTRY_CORRECTED, EventType.ENTRY_RETRACTED}
)


class AgencyKind(StrEnum):
    """The kind of organisation that published (disclosed) an item."""

    POLICE = "POLICE"
    SCHOOL = "SCHOOL"
    EARLY_YEARS = "EARLY_YEARS"
    HEALTH = "HEALTH"
    SOCIAL_CARE = "SOCIAL_CARE"
    EARLY_HELP = "EARLY_HELP"
    HOUSING = "HOUSING"
    YOUTH_JUSTICE = "YOUTH_JUSTICE"
    VOLUNTARY = "VOLUNTARY"
    LOCAL_AUTHORITY = "LOCAL_AUTHORITY"


class Role(StrEnum):
    """The role a recipient holds; the agreement grants to roles, never to named people."""

    SCHOOL_DSL = "SCHOOL_DSL"
    EARLY_YEARS_DSL = "EARLY_YEARS_DSL"
    HEALTH_VISITOR = "HEALTH_VISITOR"
    SCHOOL_NURSE = "SCHOOL_NURSE"
    MIDWIFE = "MIDWIFE"
    GP = "GP"
    FRONT_DOOR_SOCIAL_WORKER = "FRONT_DOOR_SOCIAL_WORKER"
    EARLY_HELP_LEAD_PRACTITIONER = "EARLY_HELP_LEAD_PRACTITIONER"
    TAF_MEMBER = "TAF_MEMBER"
    PITSTOP_PANEL = "PITSTOP_PANEL"
    POLICE = "POLICE"
    LA_ENCOMPASS_COORDINATOR = "LA_ENCOMPASS_COORDINATOR"


class Relationship(StrEnum):
    """Why a candidate recipient is connected to the child (worked out by routing)."""

    CHILD_ENROLLED_AT = "CHILD_ENROLLED_AT"  # the child's school or early years setting
    REGISTERED_WITH = "REGISTERED_WITH"  # the child's GP practice
    ALLOCATED = "ALLOCATED"  # a named worker allocated to the child or family
    TEAM_AROUND_FAMILY = "TEAM_AROUND_FAMILY"  # a member of the family's TAF
    PANEL_MEMBER = "PANEL_MEMBER"  # sits on the panel the case was referred to
    REFERRER = "REFERRER"  # made the referral an outcome answers
    AREA_DUTY = "AREA_DUTY"  # on duty for the area (front door, coordinator, MASH police)


class Level(StrEnum):
    """How much of an item a recipient sees; ordered EXISTENCE_ONLY < SUMMARY < FULL."""

    EXISTENCE_ONLY = "EXISTENCE_ONLY"
    SUMMARY = "SUMMARY"
    FULL = "FULL"

    @property
    def rank(self) -> int:
        """Position in the order; a higher rank sees more."""
        return _LEVEL_RANK[self]


_LEVEL_RANK = {Level.EXISTENCE_ONLY: 0, Level.SUMMARY: 1, Level.FULL: 2}


class Basis(StrEnum):
    """The lawful basis recorded on a share."""

    SAFEGUARDING_DPA2018_SCH1_PARA18 = "SAFEGUARDING_DPA2018_SCH1_PARA18"
    LAW_ENFORCEMENT_DPA2018_PART3_SCH8 = "LAW_ENFORCEMENT_DPA2018_PART3_SCH8"
    PUBLIC_TASK = "PUBLIC_TASK"
    CONSENT = "CONSENT"
    DUTY_TO_SHARE_S16LA = "DUTY_TO_SHARE_S16LA"


# Bases under which the law expects the item to be shared: withholding one is a recorded
# non-disclosure with its reason, not an ordinary refusal.
DUTY_BASES: frozenset[Basis] = frozenset(
    {
        Basis.SAFEGUARDING_DPA2018_SCH1_PARA18,
        Basis.LAW_ENFORCEMENT_DPA2018_PART3_SCH8,
        Basis.DUTY_TO_SHARE_S16LA,
    }
)


class RestrictedCategory(StrEnum):
    """Categories that go only to roles the agreement entitles (Caldicott: need to know)."""

    SEXUAL_HEALTH = "SEXUAL_HEALTH"
    MENTAL_HEALTH_DETAIL = "MENTAL_HEALTH_DETAIL"
    THIRD_PARTY_IDENTITY = "THIRD_PARTY_IDENTITY"


class ChildCondition(StrEnum):
    """A fact about the child's status that a rule may require."""

    ON_CP_PLAN = "ON_CP_PLAN"
    LOOKED_AFTER = "LOOKED_AFTER"
    OPEN_TO_SOCIAL_CARE = "OPEN_TO_SOCIAL_CARE"


class Fallback(StrEnum):
    """What a role not entitled to a restricted category gets of an item flagged with it."""

    EXISTENCE_ONLY = "EXISTENCE_ONLY"
    NOTHING = "NOTHING"
