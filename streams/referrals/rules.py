"""Referral routing rules and time limits as configuration (rules.yaml), validated on load.

Routing (a product decision, from the seeds): the police's own risk assessment decides where a
police referral goes: high and medium risk meeting the threshold to the front door, below-
threshold concerns (child concern, vulnerable adult, domestic abuse under threshold) to the
PiTstop panel. Other referrals go where their referrer named. If the family is already open to
social care, the allocated team is told instead (see `route`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

import yaml

from streams.referrals.workhours import WorkingCalendar

DEFAULT_RULES: Final = Path(__file__).with_name("rules.yaml")
_WEEKDAYS: Final = {"MON": 0, "TUE": 1, "WED": 2, "THU": 3, "FRI": 4, "SAT": 5, "SUN": 6}
RISK_LEVELS: Final = frozenset({"STANDARD", "MEDIUM", "HIGH"})
AGENCY_KINDS: Final = frozenset(
    {
        "POLICE",
        "SCHOOL",
        "EARLY_YEARS",
        "HEALTH",
        "SOCIAL_CARE",
        "EARLY_HELP",
        "HOUSING",
        "YOUTH_JUSTICE",
        "VOLUNTARY",
        "LOCAL_AUTHORITY",
    }
)


class Destination(StrEnum):
    """Where a referral goes (the ReferralDestination symbols)."""

    FRONT_DOOR = "FRONT_DOOR"
    PITSTOP = "PITSTOP"
    EARLY_HELP = "EARLY_HELP"
    HEALTH_SERVICE = "HEALTH_SERVICE"


class Rag(StrEnum):
    """The front door's triage rating."""

    RED = "RED"
    AMBER = "AMBER"
    GREEN = "GREEN"


class RulesError(ValueError):
    """A rules file is malformed; the message names the file and the entry."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DestinationRules:
    """Who receives referrals to one destination and how fast they must answer."""

    receiving_agency_id: str
    acknowledge_within: timedelta
    decide_within: timedelta
    services: Mapping[str, str] = field(default_factory=dict, hash=False)

    def receiver(self, service_name: str | None) -> str:
        """The receiving agency (a named health service's own agency when the file knows it)."""
        if service_name is not None and service_name in self.services:
            return self.services[service_name]
        return self.receiving_agency_id


@dataclass(frozen=True, slots=True, kw_only=True)
class RoutingRule:
    """Match on the referrer's kind, named destination, risk level and category; route."""

    name: str
    route_to: Destination
    referrer_kinds: frozenset[str] | None = None  # None: any
    destinations: frozenset[Destination] | None = None
    risk_levels: frozenset[str | None] | None = None
    categories: frozenset[str] | None = None  # compared case-insensitively
    doc: str = ""

    def matches(self, facts: ReferralFacts) -> bool:
        return (
            (self.referrer_kinds is None or facts.referrer_kind in self.referrer_kinds)
            and (self.destinations is None or facts.named_destination in self.destinations)
            and (self.risk_levels is None or facts.risk_level in self.risk_levels)
            and (self.categories is None or facts.category.strip().lower() in self.categories)
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Rules:
    """The whole configuration."""

    calendar: WorkingCalendar
    rag: Mapping[Rag, timedelta] = field(hash=False)
    rerating_minimum: timedelta
    destinations: Mapping[Destination, DestinationRules] = field(hash=False)
    routing: tuple[RoutingRule, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferralFacts:
    """What routing needs from a ReferralMade."""

    referrer_kind: str
    named_destination: Destination
    risk_level: str | None
    category: str
    service_name: str | None = None


class RouteReason(StrEnum):
    """Why a referral went where it went."""

    AS_NAMED = "as_named"  # no rule applied: the referrer's destination stands
    RULE = "rule"  # a routing rule decided (rule name recorded)
    OPEN_TO_SOCIAL_CARE = "open_to_social_care"  # the allocated team is told instead


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    """Where the hub sent a referral, and why."""

    destination: Destination
    receiving_agency_id: str
    reason: RouteReason
    rule: str | None = None
    allocated_team_id: str | None = None


def route(facts: ReferralFacts, rules: Rules, *, allocated_team_id: str | None = None) -> Route:
    """Route one referral: the first matching rule, else as named; an open case's team is told."""
    destination, reason, rule_name = facts.named_destination, RouteReason.AS_NAMED, None
    for rule in rules.routing:
        if rule.matches(facts):
            destination, reason, rule_name = rule.route_to, RouteReason.RULE, rule.name
            break
    if allocated_team_id is not None:
        return Route(
            destination=destination,
            receiving_agency_id=allocated_team_id,
            reason=RouteReason.OPEN_TO_SOCIAL_CARE,
            rule=rule_name,
            allocated_team_id=allocated_team_id,
        )
    receiver = rules.destinations[destination].receiver(facts.service_name)
    return Route(
        destination=destination, receiving_agency_id=receiver, reason=reason, rule=rule_name
    )


# --- Loading ------------------------------------------------------------------------------------


def _hours(value: object, where: str) -> timedelta:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise RulesError(f"{where}: expected a positive number of working hours, got {value!r}")
    return timedelta(hours=float(value))


def _time(value: object, where: str) -> time:
    # YAML 1.1 reads an unquoted 9:00 as the integer 540 (base 60): insist on a quoted string.
    if not isinstance(value, str):
        raise RulesError(f'{where}: expected a quoted "HH:MM" string, got {value!r}')
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise RulesError(f'{where}: expected "HH:MM", got {value!r}') from None


def _mapping(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise RulesError(f"{where}: expected a mapping, got {type(value).__name__}")
    return value


def _names(value: object, allowed: frozenset[str], where: str) -> frozenset[str]:
    if not isinstance(value, list) or not value:
        raise RulesError(f"{where}: expected a non-empty list")
    unknown = [v for v in value if v not in allowed]
    if unknown:
        raise RulesError(f"{where}: unknown {unknown!r}; expected some of {sorted(allowed)}")
    return frozenset(str(v) for v in value)


def _risks(value: object, where: str) -> frozenset[str | None]:
    """Risk levels; null in the list matches a referral that gives no risk level."""
    if not isinstance(value, list) or not value:
        raise RulesError(f"{where}: expected a non-empty list")
    unknown = [v for v in value if v is not None and v not in RISK_LEVELS]
    if unknown:
        raise RulesError(f"{where}: unknown {unknown!r}; expected some of {sorted(RISK_LEVELS)}")
    return frozenset(None if v is None else str(v) for v in value)


def _calendar(data: Mapping[str, Any], where: str) -> WorkingCalendar:
    known = {"timezone", "day_start", "day_end", "weekdays", "bank_holidays", "closures"}
    extra = set(data) - known
    if extra:
        raise RulesError(f"{where}: unknown keys {sorted(extra)}")
    days = _names(data.get("weekdays", list(_WEEKDAYS)[:5]), frozenset(_WEEKDAYS), where)
    closures = []
    for value in data.get("closures") or []:
        if isinstance(value, date):
            closures.append(value)
        else:
            try:
                closures.append(date.fromisoformat(str(value)))
            except ValueError:
                raise RulesError(f"{where}.closures: {value!r} is not a date") from None
    try:
        return WorkingCalendar(
            timezone=str(data.get("timezone", "Europe/London")),
            day_start=_time(data.get("day_start", "09:00"), f"{where}.day_start"),
            day_end=_time(data.get("day_end", "17:00"), f"{where}.day_end"),
            weekdays=frozenset(_WEEKDAYS[d] for d in days),
            bank_holidays=bool(data.get("bank_holidays", True)),
            closures=frozenset(closures),
        )
    except RulesError:
        raise
    except (ValueError, KeyError) as exc:
        raise RulesError(f"{where}: {exc}") from None


def _destination(name: object, where: str) -> Destination:
    try:
        return Destination(str(name))
    except ValueError:
        raise RulesError(
            f"{where}: unknown destination {name!r}; expected one of {[d.value for d in Destination]}"
        ) from None


def _rule(data: Mapping[str, Any], where: str) -> RoutingRule:
    known = {"name", "doc", "referrer_kinds", "destinations", "risk_levels", "categories"}
    extra = set(data) - known - {"route_to"}
    if extra:
        raise RulesError(f"{where}: unknown keys {sorted(extra)}")
    if not isinstance(data.get("name"), str) or not data["name"]:
        raise RulesError(f"{where}: every rule needs a name")
    if "route_to" not in data:
        raise RulesError(f"{where}: rule {data['name']!r} has no route_to")
    return RoutingRule(
        name=data["name"],
        doc=str(data.get("doc", "")),
        route_to=_destination(data["route_to"], f"{where}.route_to"),
        referrer_kinds=(
            _names(data["referrer_kinds"], AGENCY_KINDS, f"{where}.referrer_kinds")
            if "referrer_kinds" in data
            else None
        ),
        destinations=(
            frozenset(_destination(d, f"{where}.destinations") for d in data["destinations"])
            if "destinations" in data
            else None
        ),
        risk_levels=(
            _risks(data["risk_levels"], f"{where}.risk_levels") if "risk_levels" in data else None
        ),
        categories=(
            frozenset(str(c).strip().lower() for c in data["categories"])
            if "categories" in data
            else None
        ),
    )


def rules_from_mapping(data: Mapping[str, Any], where: str = "rules") -> Rules:
    """Validate and build the configuration; RulesError names the first bad entry."""
    known = {"working_hours", "rag_hours", "rerating_minimum_hours", "destinations", "routing"}
    extra = set(data) - known
    if extra:
        raise RulesError(f"{where}: unknown keys {sorted(extra)}")
    calendar = _calendar(_mapping(data.get("working_hours", {}), "working_hours"), "working_hours")
    rag_data = _mapping(data.get("rag_hours"), f"{where}.rag_hours")
    missing = [r.value for r in Rag if r.value not in rag_data]
    if missing or set(rag_data) - {r.value for r in Rag}:
        raise RulesError(f"{where}.rag_hours: give exactly RED, AMBER and GREEN")
    rag = {r: _hours(rag_data[r.value], f"{where}.rag_hours.{r.value}") for r in Rag}
    if not rag[Rag.RED] <= rag[Rag.AMBER] <= rag[Rag.GREEN]:
        raise RulesError(f"{where}.rag_hours: RED <= AMBER <= GREEN is required")
    dests_data = _mapping(data.get("destinations"), f"{where}.destinations")
    destinations: dict[Destination, DestinationRules] = {}
    for name, entry in dests_data.items():
        here = f"{where}.destinations.{name}"
        body = _mapping(entry, here)
        allowed = {"receiving_agency_id", "acknowledge_within_hours", "decide_within_hours"}
        extra = set(body) - allowed - {"services"}
        if extra:
            raise RulesError(f"{here}: unknown keys {sorted(extra)}")
        if not isinstance(body.get("receiving_agency_id"), str):
            raise RulesError(f"{here}: receiving_agency_id is required")
        services = _mapping(body.get("services") or {}, f"{here}.services")
        destinations[_destination(name, here)] = DestinationRules(
            receiving_agency_id=body["receiving_agency_id"],
            acknowledge_within=_hours(
                body.get("acknowledge_within_hours"), f"{here}.acknowledge_within_hours"
            ),
            decide_within=_hours(body.get("decide_within_hours"), f"{here}.decide_within_hours"),
            services={str(k): str(v) for k, v in services.items()},
        )
    absent = [d.value for d in Destination if d not in destinations]
    if absent:
        raise RulesError(f"{where}.destinations: missing {absent}")
    routing_data = data.get("routing") or []
    if not isinstance(routing_data, Sequence):
        raise RulesError(f"{where}.routing: expected a list of rules")
    routing = tuple(
        _rule(_mapping(r, f"{where}.routing[{i}]"), f"{where}.routing[{i}]")
        for i, r in enumerate(routing_data)
    )
    names = [r.name for r in routing]
    if len(set(names)) != len(names):
        raise RulesError(f"{where}.routing: rule names must be unique")
    return Rules(
        calendar=calendar,
        rag=rag,
        rerating_minimum=_hours(
            data.get("rerating_minimum_hours", 4), f"{where}.rerating_minimum_hours"
        ),
        destinations=destinations,
        routing=routing,
    )


def load_rules(path: Path = DEFAULT_RULES) -> Rules:
    """Read and validate a rules file (called at start-up, never at import)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RulesError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, Mapping):
        raise RulesError(f"{path}: a rules file is a mapping at the top level")
    try:
        return rules_from_mapping(data, where=str(path.name))
    except RulesError as exc:
        raise RulesError(f"{path}: {exc}") from None
