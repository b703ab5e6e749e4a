"""Schools, households and children, with their identifiers and where each child is on roll."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from streams.identity.identifiers import nhs_check_digit, upn_check_letter
from streams.simulation import names
from streams.simulation.identifier_blocks import identifier_block
from streams.simulation.log import blocks_of
from streams.simulation.model import Adult, Child, Household, Options, School, Spell

_LA_CODE: Final = "808"  # DfE number of Stockton-on-Tees, the first part of its UPNs
_SCHOOL_STEMS: Final = (
    "Bishopsgarth", "Hardwick Green", "Norton Park", "Roseworth", "Fairfield", "Whitehouse",
    "Oxbridge Lane", "Tilery", "Durham Lane", "Bowesfield", "Harewood", "Layfield", "Preston",
    "Ropner", "Thornaby Village", "Westgarth", "Elm Tree", "Grangefield", "Hartburn", "Yarm Road",
)  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class Population:
    """Everyone in the simulation."""

    schools: tuple[School, ...]
    settings: tuple[School, ...]  # early years settings
    households: tuple[Household, ...]
    blocks: dict[tuple[str, ...], str]  # demographic block -> child key

    @property
    def children(self) -> list[Child]:
        return [c for h in self.households for c in h.children]

    def setting(self, urn: str) -> School:
        """The school or early years setting with this URN."""
        for school in (*self.schools, *self.settings):
            if school.urn == urn:
                return school
        raise KeyError(urn)


def build_schools(rng: random.Random, count: int) -> tuple[tuple[School, ...], tuple[School, ...]]:
    """`count` schools (mostly primary, every fourth secondary, an FE college from six) and
    about one early years setting for every three schools."""
    urns = rng.sample(range(110000, 150000), count)
    schools: list[School] = []
    for i, urn in enumerate(urns):
        stem = _SCHOOL_STEMS[i % len(_SCHOOL_STEMS)] + ("" if i < len(_SCHOOL_STEMS) else f" {i}")
        if count >= 6 and i == count - 1:
            phase, kind, name = "fe", "FE", f"{stem} College"
        elif i % 4 == 3:
            phase, kind, name = "secondary", "SCHOOL", f"{stem} Academy"
        else:
            phase, kind, name = "primary", "SCHOOL", f"{stem} Primary School"
        schools.append(
            School(urn=str(urn), name=name, phase=phase, setting_kind=kind, estab=2000 + i)
        )
    settings = tuple(
        School(
            urn=f"EY{urn}",
            name=f"{_SCHOOL_STEMS[i % len(_SCHOOL_STEMS)]} Day Nursery",
            phase="early_years",
            setting_kind="EARLY_YEARS",
            estab=0,
        )
        for i, urn in enumerate(rng.sample(range(300000, 600000), max(1, count // 3)))
    )
    return tuple(schools), settings


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _academic_year_start(day: date) -> date:
    september = date(day.year, 9, 3)
    return september if day >= september else date(day.year - 1, 9, 3)


class _Identifiers:
    """Unique identifiers, handed out in order from the seed's block."""

    def __init__(self, block: int = 0) -> None:
        self._nhs = 100000 + block
        self._upn = block
        self.adults_police = 5000001 + block

    def nhs(self) -> str:
        while True:
            nine = f"999{100000 + (self._nhs - 100000) % 900000:06d}"
            self._nhs += 1
            check = nhs_check_digit(nine)
            if check is not None:
                return f"{nine}{check}"

    def upn(self, school: School | None, allocated: date) -> str:
        self._upn += 1
        estab = school.estab if school is not None and school.estab else 2999
        serial = f"{(estab + self._upn // 1000) % 10000:04d}{allocated.year % 100:02d}"
        twelve = f"{_LA_CODE}{serial}{self._upn % 1000:03d}"
        return upn_check_letter(twelve) + twelve


def build_population(
    rng: random.Random, options: Options, *, children: int, schools: int, start: date
) -> Population:
    """Households of one to three children until there are `children` children."""
    school_list, settings = build_schools(rng, schools)
    ids = _Identifiers(identifier_block(rng))
    blocks: dict[tuple[str, ...], str] = {}
    households: list[Household] = []
    made = 0
    while made < children:
        family = rng.choice(names.FAMILY_NAMES)
        code, town = names.postcode(rng)
        household = Household(
            index=len(households),
            family_name=family,
            address=f"{rng.randint(1, 120)} {names.street(rng)}, {town}",
            postcode=code,
        )
        size = min(children - made, rng.choices((1, 2, 3), weights=(45, 35, 20))[0])
        born = start - timedelta(days=rng.randint(60, 18 * 365 - 30))
        for _ in range(size):
            if born >= start - timedelta(days=30):
                break
            made += 1
            child = _child(rng, household, f"C{made:05d}", born, blocks, ids)
            household.children.append(child)
            born = born + timedelta(days=rng.randint(400, 2200))
        if not household.children:
            continue
        household.adults = _adults(rng, options, ids)
        households.append(household)
    population = Population(
        schools=school_list, settings=settings, households=tuple(households), blocks=blocks
    )
    for household in households:
        for child in household.children:
            _place(rng, options, population, household, child, start, ids)
    return population


def _child(
    rng: random.Random,
    household: Household,
    key: str,
    born: date,
    blocks: dict[tuple[str, ...], str],
    ids: _Identifiers,
) -> Child:
    # No two children may share three of name, date of birth and postcode: every candidate
    # match the hub finds must be one the manifest planted.
    while True:
        given = rng.choice(names.GIVEN_NAMES)
        mine = blocks_of(given, household.family_name, born, household.postcode)
        if not any(b in blocks for b in mine):
            break
        born = born - timedelta(days=1)
    for block in mine:
        blocks[block] = key
    return Child(
        key=key,
        household=household.index,
        given_name=given,
        family_name=household.family_name,
        date_of_birth=born,
        nhs_number=ids.nhs(),
        upn=None,
    )


def _adults(rng: random.Random, options: Options, ids: _Identifiers) -> list[Adult]:
    count = rng.choices((1, 2), weights=(45, 55))[0]
    adults = []
    for i in range(count):
        adults.append(
            Adult(
                given_name=rng.choice(names.ADULT_GIVEN_NAMES),
                police_person_ref=f"PP-{ids.adults_police:07d}",
                nhs_number=ids.nhs() if i == 0 else None,
                pregnant=i == 0 and rng.random() < options.pregnancy_share,
            )
        )
        ids.adults_police += 1
    return adults


def _place(
    rng: random.Random,
    options: Options,
    population: Population,
    household: Household,
    child: Child,
    start: date,
    ids: _Identifiers,
) -> None:
    """Where the child is on roll at the start, and whether that is ever published."""
    age = _age(child.date_of_birth, start)
    year_start = _academic_year_start(start)
    if age >= 4:
        child.upn = ids.upn(None, year_start)
    if 2 <= age <= 3:
        if rng.random() < options.early_years_share:
            setting = rng.choice(population.settings)
            begun = min(start - timedelta(days=7), child.date_of_birth + timedelta(days=740))
            child.spells.append(Spell(urn=setting.urn, setting_kind="EARLY_YEARS", start=begun))
        return
    if age < 4:
        return
    if 5 <= age <= 15 and rng.random() < options.home_education_share:
        begun = start - timedelta(days=rng.randint(30, 700))
        child.spells.append(Spell(urn=None, setting_kind="ELECTIVE_HOME_EDUCATION", start=begun))
    else:
        phase, entry = (
            ("primary", 4) if age <= 10 else ("secondary", 11) if age <= 15 else ("fe", 16)
        )
        if phase == "fe" and rng.random() > 0.85:
            return  # not in education
        school = _school_for(rng, population, phase)
        begun = year_start.replace(year=year_start.year - min(age - entry, 4))
        withheld = rng.random() < options.withheld_enrolment_share
        child.spells.append(
            Spell(
                urn=school.urn,
                setting_kind=school.setting_kind,
                start=begun,
                published=not withheld,
            )
        )
        if withheld:
            household.planted_incident = True
    if rng.random() < options.no_nhs_share and age >= 5 and child.spells[0].published:
        child.nhs_number = None  # e.g. newly arrived: the school knows the child, the NHS not yet


def _school_for(rng: random.Random, population: Population, phase: str) -> School:
    fits = [s for s in population.schools if s.phase == phase]
    if not fits and phase == "fe":
        fits = [s for s in population.schools if s.phase == "secondary"]
    return rng.choice(fits or list(population.schools))


def mover_destination(rng: random.Random, population: Population, current: School) -> School | None:
    """Another school of the same phase, if there is one."""
    others = [s for s in population.schools if s.phase == current.phase and s.urn != current.urn]
    return rng.choice(others) if others else None
