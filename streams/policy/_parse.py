"""Turning agreement YAML into an Agreement, collecting every problem with where it is."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from itertools import pairwise
from types import MappingProxyType
from typing import TypeVar

import yaml

from streams.policy.agreement import Agreement, PolicyError, RestrictedAccess, Rule
from streams.policy.vocabulary import (
    FOLLOWS_ORIGINAL,
    AgencyKind,
    Basis,
    ChildCondition,
    EventType,
    Fallback,
    Level,
    Relationship,
    RestrictedCategory,
    Role,
)

E = TypeVar("E", bound=StrEnum)

_TOP_KEYS = {
    "version",
    "effective_from",
    "title",
    "consent_scopes",
    "restricted_categories",
    "fields",
    "rules",
}
_RULE_KEYS = {
    "event",
    "category",
    "from",
    "to",
    "relationships",
    "only_when_child_is",
    "level",
    "basis",
    "consent_scope",
}
_RESTRICTED_KEYS = {"roles", "fields", "not_entitled_get"}

# Words used in messages for each vocabulary, so a message reads "unknown role 'X'".
_NOUN: dict[type[StrEnum], str] = {
    EventType: "event type",
    AgencyKind: "agency kind",
    Role: "role",
    Relationship: "relationship",
    ChildCondition: "child condition",
    Level: "level",
    Basis: "basis",
    RestrictedCategory: "restricted category",
    Fallback: "fallback",
}


class _Problems:
    """Collects problems so the DPO sees all of them in one pass, not one per edit."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{where}: {message}")


def parse_agreement(text: str, *, content_hash: str) -> Agreement:
    """Validate the YAML text and build the Agreement; raise PolicyError with every problem."""
    try:
        # The C loader when libyaml is present: the same safe subset, about ten times faster.
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    except yaml.YAMLError as exc:
        raise PolicyError([f"not valid YAML: {exc}"]) from exc
    if not isinstance(data, Mapping):
        raise PolicyError(["the agreement must be a mapping with version, title, rules, ..."])
    problems = _Problems()
    for key in sorted(set(map(str, data)) - _TOP_KEYS):
        # "x-" keys hold YAML anchors (abbreviations) and carry no meaning of their own.
        if not key.startswith("x-"):
            problems.add("agreement", f"unknown key '{key}'")
    version = _version(data.get("version"), problems)
    effective_from = _effective_from(data.get("effective_from"), problems)
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.add("agreement", "'title' must be a non-empty string")
        title = ""
    scopes = _consent_scopes(data.get("consent_scopes"), problems)
    fields = _fields(data.get("fields"), problems)
    restricted = _restricted(data.get("restricted_categories"), fields, problems)
    rules = _rules(data.get("rules"), scopes, fields, problems)
    if problems.items:
        raise PolicyError(problems.items)
    return Agreement(
        version=version,
        effective_from=effective_from,
        title=title,
        content_hash=content_hash,
        consent_scopes=MappingProxyType(scopes),
        restricted=MappingProxyType(restricted),
        fields=MappingProxyType({t: MappingProxyType(lv) for t, lv in fields.items()}),
        rules=tuple(rules),
    )


def _version(value: object, problems: _Problems) -> str:
    # An unquoted 2026.1 is a float in YAML and 2026.10 would read back as 2026.1.
    if not isinstance(value, str) or not value.strip():
        problems.add("agreement", "'version' must be a quoted string, e.g. version: \"2026.1\"")
        return ""
    return value


def _effective_from(value: object, problems: _Problems) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    problems.add("agreement", "'effective_from' must be a date written YYYY-MM-DD")
    return date.min


def _consent_scopes(value: object, problems: _Problems) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.add("consent_scopes", "must map each scope name to what the family agreed to")
        return {}
    scopes: dict[str, str] = {}
    for name, meaning in value.items():
        if not isinstance(meaning, str) or not meaning.strip():
            problems.add(f"consent_scopes {name}", "must say what the family agreed to")
        scopes[str(name)] = str(meaning)
    return scopes


def _fields(value: object, problems: _Problems) -> dict[EventType, dict[Level, frozenset[str]]]:
    if not isinstance(value, Mapping):
        problems.add("fields", "must map each event type to its field list per level")
        return {}
    fields: dict[EventType, dict[Level, frozenset[str]]] = {}
    for type_name, levels in value.items():
        where = f"fields {type_name}"
        event_type = _one(type_name, EventType, where, problems)
        if not isinstance(levels, Mapping):
            problems.add(where, "must map levels to field lists")
            continue
        parsed: dict[Level, frozenset[str]] = {}
        for level_name, names in levels.items():
            level = _one(level_name, Level, where, problems)
            listed = _strings(names, f"{where} {level_name}", "field", problems)
            if level is not None and listed is not None:
                parsed[level] = listed
        _check_nesting(parsed, where, problems)
        if event_type is not None:
            fields[event_type] = parsed
    return fields


def _check_nesting(levels: Mapping[Level, frozenset[str]], where: str, problems: _Problems) -> None:
    # Levels nest, so "a field above its level" has a meaning: anything a lower level shows,
    # every higher level shows too.
    order = [lv for lv in (Level.EXISTENCE_ONLY, Level.SUMMARY, Level.FULL) if lv in levels]
    for lower, higher in pairwise(order):
        for name in sorted(levels[lower] - levels[higher]):
            problems.add(where, f"{lower} field '{name}' is missing from {higher}")


def _restricted(
    value: object,
    fields: Mapping[EventType, Mapping[Level, frozenset[str]]],
    problems: _Problems,
) -> dict[RestrictedCategory, RestrictedAccess]:
    if not isinstance(value, Mapping):
        problems.add("restricted_categories", "must declare every restricted category")
        return {}
    restricted: dict[RestrictedCategory, RestrictedAccess] = {}
    for name, spec in value.items():
        where = f"restricted_categories {name}"
        category = _one(name, RestrictedCategory, "restricted_categories", problems)
        if not isinstance(spec, Mapping):
            problems.add(where, "must give roles, fields and not_entitled_get")
            continue
        for key in sorted(set(map(str, spec)) - _RESTRICTED_KEYS):
            problems.add(where, f"unknown key '{key}'")
        roles = _enum_set(spec.get("roles", []), Role, where, problems)
        carried = _strings(spec.get("fields", []), where, "field", problems) or frozenset()
        fallback = _one(spec.get("not_entitled_get"), Fallback, where, problems)
        # Existence-only is what non-entitled roles fall back to, so it must never carry
        # a restricted field.
        for event_type, levels in fields.items():
            for leak in sorted(carried & levels.get(Level.EXISTENCE_ONLY, frozenset())):
                problems.add(where, f"field '{leak}' is in the EXISTENCE_ONLY list of {event_type}")
        if category is not None and roles is not None and fallback is not None:
            restricted[category] = RestrictedAccess(
                category=category, roles=roles, fields=carried, not_entitled_get=fallback
            )
    for category in RestrictedCategory:
        if str(category) not in map(str, value):
            problems.add("restricted_categories", f"{category} is not declared")
    return restricted


def _rules(
    value: object,
    scopes: Mapping[str, str],
    fields: Mapping[EventType, Mapping[Level, frozenset[str]]],
    problems: _Problems,
) -> list[Rule]:
    if not isinstance(value, list) or not value:
        problems.add("rules", "must be a non-empty list")
        return []
    rules: list[Rule] = []
    for number, spec in enumerate(value, start=1):
        rules.extend(_rule(number, spec, scopes, fields, problems))
    return rules


def _rule(
    number: int,
    spec: object,
    scopes: Mapping[str, str],
    fields: Mapping[EventType, Mapping[Level, frozenset[str]]],
    problems: _Problems,
) -> list[Rule]:
    """One rule entry; `event` may list several types, giving one Rule per type."""
    if not isinstance(spec, Mapping):
        problems.add(f"rule {number}", "must be a mapping with event, to, level and basis")
        return []
    named = spec.get("event")
    where = f"rule {number}"
    if named is not None:
        where += f" ({', '.join(map(str, named)) if isinstance(named, list) else named})"
    before = len(problems.items)
    for key in sorted(set(map(str, spec)) - _RULE_KEYS):
        problems.add(where, f"unknown key '{key}'")
    if named is None:
        problems.add(where, "missing 'event' (the event type or types the rule is about)")
    event_types = _enum_set(named or [], EventType, where, problems, required=named is not None)
    category = spec.get("category")
    if category is not None and not isinstance(category, str):
        problems.add(where, "'category' must be a string")
    if "to" not in spec:
        problems.add(where, "missing 'to' (the roles that receive it)")
    roles = _enum_set(spec.get("to", []), Role, where, problems, required="to" in spec)
    agencies = _optional_set(spec, "from", AgencyKind, where, problems)
    relationships = _optional_set(spec, "relationships", Relationship, where, problems)
    conditions = _optional_set(spec, "only_when_child_is", ChildCondition, where, problems)
    level = _one(spec.get("level"), Level, where, problems)
    basis = _one(spec.get("basis"), Basis, where, problems)
    scope = spec.get("consent_scope")
    if basis is Basis.CONSENT and not scope:
        problems.add(where, "basis CONSENT needs a consent_scope")
    if basis is not None and basis is not Basis.CONSENT and scope:
        problems.add(where, f"consent_scope '{scope}' given but basis is {basis}, not CONSENT")
    if scope and str(scope) not in scopes:
        problems.add(where, f"consent_scope '{scope}' is not declared under consent_scopes")
    _check_regime(basis, agencies, where, problems)
    for event_type in sorted(event_types or ()):
        if event_type in FOLLOWS_ORIGINAL:
            problems.add(where, f"{event_type} follows the entry it supersedes and takes no rule")
        for needed in Level:
            # Every level is required, not only the rule's: a restricted item falls back to
            # EXISTENCE_ONLY, and the DPO should see what FULL would mean.
            if needed not in fields.get(event_type, {}):
                problems.add(where, f"level {needed} has no field list under fields {event_type}")
    if len(problems.items) > before:
        return []
    # No new problems means every part parsed; the asserts tell mypy so.
    assert event_types is not None
    assert roles is not None
    assert level is not None
    assert basis is not None
    return [
        Rule(
            number=number,
            event_type=event_type,
            category=category,
            from_agencies=agencies,
            roles=roles,
            relationships=relationships,
            only_when_child_is=conditions,
            level=level,
            basis=basis,
            consent_scope=str(scope) if scope else None,
        )
        for event_type in sorted(event_types)
    ]


def _check_regime(
    basis: Basis | None, agencies: frozenset[AgencyKind] | None, where: str, problems: _Problems
) -> None:
    # The basis recorded must be the discloser's own regime: police under DPA 2018 Part 3,
    # everyone else under Sch.1 para 18. Requiring `from` makes the discloser explicit.
    if basis is Basis.LAW_ENFORCEMENT_DPA2018_PART3_SCH8 and agencies != frozenset(
        {AgencyKind.POLICE}
    ):
        problems.add(where, f"basis {basis} is for police disclosures only: set from: [POLICE]")
    if basis is Basis.SAFEGUARDING_DPA2018_SCH1_PARA18 and (
        agencies is None or AgencyKind.POLICE in agencies
    ):
        problems.add(
            where,
            f"basis {basis} needs from: listing the disclosing agencies, without POLICE "
            f"(police disclose under {Basis.LAW_ENFORCEMENT_DPA2018_PART3_SCH8})",
        )


def _one(value: object, enum: type[E], where: str, problems: _Problems) -> E | None:
    if value is None:
        problems.add(where, f"missing {_NOUN[enum]}")
        return None
    try:
        return enum(str(value))
    except ValueError:
        problems.add(where, f"unknown {_NOUN[enum]} '{value}'")
        return None


def _enum_set(
    value: object, enum: type[E], where: str, problems: _Problems, *, required: bool = False
) -> frozenset[E] | None:
    names = _strings(value, where, _NOUN[enum], problems)
    if names is None:
        return None
    if required and not names:
        problems.add(where, f"must list at least one {_NOUN[enum]}")
        return None
    members = [_one(name, enum, where, problems) for name in sorted(names)]
    if any(m is None for m in members):
        return None
    return frozenset(m for m in members if m is not None)


def _optional_set(
    spec: Mapping[str, object], key: str, enum: type[E], where: str, problems: _Problems
) -> frozenset[E] | None:
    # Absent means "not narrowed"; an empty list would match nothing, which is never meant.
    if key not in spec:
        return None
    return _enum_set(spec[key], enum, f"{where} {key}", problems, required=True)


def _strings(value: object, where: str, noun: str, problems: _Problems) -> frozenset[str] | None:
    if isinstance(value, str):
        return frozenset({value})  # a single name written without brackets
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.add(where, f"must be a list of {noun} names")
        return None
    return frozenset(value)
