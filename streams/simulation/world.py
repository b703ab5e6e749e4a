"""What the generators share: the log, the population, the period and the ground truth kept."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from streams.simulation.log import LONDON, Log, local
from streams.simulation.model import Household, Options
from streams.simulation.population import Population


@dataclass(slots=True, kw_only=True)
class ReferralTruth:
    """A referral as generated: whether (and when) an outcome was published."""

    referral_id: str
    destination: str
    referrer_agency_id: str
    child_keys: list[str]
    made_event_id: str
    made_at: datetime
    status: str  # "closed", "overdue" (planted: never answered) or "pending" (due after the end)
    outcome: str | None = None
    outcome_event_id: str | None = None


@dataclass(slots=True, kw_only=True)
class IncidentTruth:
    """A police incident and every publication of it (re-notifications keep the reference)."""

    police_reference: str
    event_ids: list[str]
    domestic_abuse: bool
    child_keys: list[str]
    occurred_at: datetime
    pregnancy_noted: bool
    planted: bool  # forced so a withheld-enrolment child has an incident to route


@dataclass(slots=True, kw_only=True)
class EarlyHelpCase:
    """An open early help assessment for a household."""

    assessment_id: str
    consent_id: str
    child_keys: list[str]
    closed: bool = False


@dataclass(slots=True, kw_only=True)
class World:
    """The simulation in progress."""

    rng: random.Random
    side_rng: random.Random  # for planted extras, so they leave the main stream's draws alone
    options: Options
    log: Log
    population: Population
    start: date  # first day simulated
    days: int
    referrals: list[ReferralTruth] = field(default_factory=list)
    incidents: list[IncidentTruth] = field(default_factory=list)
    early_help: dict[int, EarlyHelpCase] = field(default_factory=dict)  # by household index
    on_plan: set[str] = field(default_factory=set)  # child keys on a child protection plan

    @property
    def end(self) -> datetime:
        """The first moment after the period (midnight in London after the last day)."""
        return self.log.end

    @contextmanager
    def side_stream(self) -> Iterator[None]:
        """Draw from the side stream inside the block (world's and log's), then switch back.

        Planted extras (referrals before the period and re-referrals) use it, so adding them
        leaves the rest of a seed's history as close to unchanged as their effects allow.
        """
        main = self.rng
        self.rng = self.log.rng = self.side_rng
        try:
            yield
        finally:
            self.rng = self.log.rng = main

    def day(self, offset: int) -> date:
        return self.start + timedelta(days=offset)

    def office_time(self, day: date) -> datetime:
        """A time in office hours on `day`."""
        return local(day, self.rng.randint(8, 16), self.rng.randint(0, 59), self.rng.randint(0, 59))

    def school_time(self, day: date) -> datetime:
        """A time in the school day on `day`."""
        minute = self.rng.randint(8 * 60 + 45, 15 * 60 + 20)
        return local(day, minute // 60, minute % 60, self.rng.randint(0, 59))

    def later(self, moment: datetime, low: timedelta, high: timedelta) -> datetime:
        """A moment between `low` and `high` after `moment`, to the second."""
        span = int((high - low).total_seconds())
        return moment + low + timedelta(seconds=self.rng.randint(0, max(span, 0)))

    def working_day_after(self, moment: datetime, days: int) -> date:
        """The date `days` working days (Monday to Friday) after `moment`'s London date."""
        day = moment.astimezone(LONDON).date()
        while days > 0:
            day += timedelta(days=1)
            if day.weekday() < 5:
                days -= 1
        return day

    def household(self, index: int) -> Household:
        return self.population.households[index]
