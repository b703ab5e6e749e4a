"""The simulated world: options, agencies, schools, households and children."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Final

IDENTIFIER_FIELDS: Final = ("nhs_number", "upn", "police_person_ref", "la_child_id")


@dataclass(frozen=True, slots=True, kw_only=True)
class Options:
    """Knobs of the generator. Rates are per day; shares are fractions of children or events."""

    no_nhs_share: float = 0.06  # children aged 5+ with no NHS number known (e.g. newly arrived)
    typo_share: float = 0.5  # of later registrations of a child without NHS number: name mistyped
    extra_registration_share: float = 0.5  # of children without NHS number: also on the LA's system
    withheld_enrolment_share: float = 0.02  # of school pupils: the enrolment is never published
    early_years_share: float = 0.6  # of 2-3 year olds: at an early years setting
    home_education_share: float = 0.015  # of 5-15 year olds: electively home educated
    move_share: float = 0.02  # of pupils: change school during the period
    incident_rate: float = 0.008  # police incidents per household per day
    domestic_abuse_share: float = 0.7  # of incidents
    renotification_share: float = 0.08  # of incidents: police send it again (same reference)
    pregnancy_share: float = 0.04  # of households: an expectant mother
    concern_rate: float = 0.008  # school concerns per pupil per school day
    visit_rate_under_5: float = 0.01  # health visitor contacts per child per day
    visit_rate_school_age: float = 0.0015  # school nurse contacts per child per day
    overdue_referral_share: float = 0.05  # of referrals: no outcome ever recorded
    correction_share: float = 0.02  # of concerns and visits: corrected later
    retraction_share: float = 0.01  # of concerns and visits: entered in error
    open_early_help_share: float = 0.03  # of households: early help open before the period
    early_help_referral_share: float = 0.2  # of those: referred to the front door while open
    previous_referral_share: float = 0.04  # of households: referred in the year before
    re_referral_share: float = 0.5  # of those: referred again during the period
    cp_plan_share: float = 0.01  # of children: on a child protection plan before the period
    looked_after_share: float = 0.005  # of children: looked after before the period


@dataclass(frozen=True, slots=True, kw_only=True)
class Agency:
    """A publisher: what goes in an event's `source`."""

    agency_id: str
    kind: str
    system: str
    role: str

    def source(self, role: str | None = None) -> dict[str, str | None]:
        return {
            "agency_id": self.agency_id,
            "agency_kind": self.kind,
            "system": self.system,
            "practitioner_role": role or self.role,
        }


POLICE: Final = Agency(
    agency_id="cleveland-police",
    kind="POLICE",
    system="Niche RMS",
    role="Public Protection officer",
)
PITSTOP: Final = Agency(
    agency_id="cleveland-police-pitstop", kind="POLICE", system="Niche RMS", role="PiTstop chair"
)
HEALTH_0_19: Final = Agency(
    agency_id="north-tees-0-19", kind="HEALTH", system="SystmOne", role="Health visitor"
)
MIDWIFERY: Final = Agency(
    agency_id="north-tees-maternity", kind="HEALTH", system="BadgerNet", role="Community midwife"
)
SALT: Final = Agency(
    agency_id="north-tees-salt",
    kind="HEALTH",
    system="SystmOne",
    role="Speech and language therapist",
)
FRONT_DOOR: Final = Agency(
    agency_id="stockton-childrens-hub", kind="SOCIAL_CARE", system="Mosaic", role="Social worker"
)
COUNCIL: Final = Agency(
    agency_id="stockton-council",
    kind="LOCAL_AUTHORITY",
    system="Capita One",
    role="Elective home education officer",
)
FAMILY_HUB: Final = Agency(
    agency_id="stockton-family-hub", kind="EARLY_HELP", system="EHM", role="Family Hub worker"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class School:
    """A school or early years setting; `phase` is 'early_years', 'primary', 'secondary' or 'fe'."""

    urn: str
    name: str
    phase: str
    setting_kind: str  # the SettingKind symbol
    estab: int  # DfE establishment number, part of the UPNs it allocates

    @property
    def agency(self) -> Agency:
        kind = "EARLY_YEARS" if self.phase == "early_years" else "SCHOOL"
        system = "Famly" if kind == "EARLY_YEARS" else "CPOMS"
        role = "Setting manager" if kind == "EARLY_YEARS" else "Designated Safeguarding Lead"
        return Agency(agency_id=f"urn-{self.urn}", kind=kind, system=system, role=role)


@dataclass(slots=True, kw_only=True)
class Spell:
    """Time on one roll (urn None: electively home educated); `end` is the last day on roll."""

    urn: str | None
    setting_kind: str
    start: date
    end: date | None = None
    published: bool = True


@dataclass(slots=True, kw_only=True)
class Child:
    """A synthetic child and every identifier any agency could hold for them."""

    key: str
    household: int
    given_name: str
    family_name: str
    date_of_birth: date
    nhs_number: str | None
    upn: str | None
    police_person_ref: str | None = None  # allocated when police first meet the child
    la_child_id: str | None = None  # allocated when the council first records the child
    spells: list[Spell] = field(default_factory=list)
    event_ids: list[str] = field(default_factory=list)

    def identifiers(self) -> dict[str, str]:
        """Every identifier of this child that exists (the ground truth)."""
        values = {
            "nhs_number": self.nhs_number,
            "upn": self.upn,
            "police_person_ref": self.police_person_ref,
            "la_child_id": self.la_child_id,
        }
        return {k: v for k, v in values.items() if v is not None}

    def spell_on(self, day: date) -> Spell | None:
        """The spell the child is in on `day`, if any."""
        for spell in self.spells:
            if spell.start <= day and (spell.end is None or day <= spell.end):
                return spell
        return None


@dataclass(slots=True, kw_only=True)
class Adult:
    """A parent or carer; known to police by reference, to maternity by NHS number."""

    given_name: str
    police_person_ref: str
    nhs_number: str | None = None
    pregnant: bool = False


@dataclass(slots=True, kw_only=True)
class Household:
    """Children and adults at one address."""

    index: int
    family_name: str
    address: str
    postcode: str
    children: list[Child] = field(default_factory=list)
    adults: list[Adult] = field(default_factory=list)
    planted_incident: bool = False  # a withheld-enrolment child lives here: force an incident
