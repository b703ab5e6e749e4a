"""Retention rules as data, and which children are due for erasure on a given day.

A rule keeps the records of some agency kinds for a number of years from an anchor: the child's
date of birth (school child-protection files: date of birth + 25 years) or the child's last
recorded activity. A child is due when every rule that applies to it has expired; a child no
rule applies to, or whose anchor is unknown for an applying rule, is kept. A legal hold keeps a
child whatever the rules say. Pure: today is passed in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, Literal

import yaml

Anchor = Literal["date_of_birth", "last_activity"]
ANCHORS: Final = ("date_of_birth", "last_activity")
ANY_AGENCY: Final = "*"


@dataclass(frozen=True, slots=True, kw_only=True)
class RetentionRule:
    """Keep records from these agency kinds for `years` after the anchor."""

    name: str
    agency_kinds: frozenset[str]  # {"*"}: any agency
    anchor: Anchor
    years: int
    basis: str  # where the period comes from, for people reading the rules

    def applies_to(self, agency_kinds: Iterable[str]) -> bool:
        return ANY_AGENCY in self.agency_kinds or bool(self.agency_kinds & set(agency_kinds))


@dataclass(frozen=True, slots=True, kw_only=True)
class ChildFacts:
    """What the rules need to know about a child (from the read models)."""

    child_id: str
    date_of_birth: date | None
    agency_kinds: frozenset[str]  # the kinds of agency that published about the child
    last_activity: date | None
    on_legal_hold: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class RetentionDecision:
    """Whether a child is due for erasure on a day, and why (rule names, dates; no content)."""

    child_id: str
    due: bool
    keep_until: date | None  # the latest expiry among applying rules; None: kept indefinitely
    reason: str


def add_years(day: date, years: int) -> date:
    """The same day `years` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def expiry(rule: RetentionRule, facts: ChildFacts) -> date | None:
    """When the rule stops keeping this child (None: it applies but its anchor is unknown)."""
    anchor = facts.date_of_birth if rule.anchor == "date_of_birth" else facts.last_activity
    return None if anchor is None else add_years(anchor, rule.years)


def decide(facts: ChildFacts, rules: Sequence[RetentionRule], *, today: date) -> RetentionDecision:
    """Whether the child is due for erasure `today`."""
    applying = [r for r in rules if r.applies_to(facts.agency_kinds)]
    if not applying:
        return RetentionDecision(
            child_id=facts.child_id, due=False, keep_until=None, reason="no rule applies: kept"
        )
    expiries = [(r, expiry(r, facts)) for r in applying]
    unknown = [r.name for r, until in expiries if until is None]
    if unknown:
        return RetentionDecision(
            child_id=facts.child_id,
            due=False,
            keep_until=None,
            reason=f"anchor unknown for {', '.join(unknown)}: kept",
        )
    rule, until = max(((r, u) for r, u in expiries if u is not None), key=lambda p: p[1])
    if facts.on_legal_hold:
        return RetentionDecision(
            child_id=facts.child_id, due=False, keep_until=until, reason="legal hold"
        )
    if today < until:
        return RetentionDecision(
            child_id=facts.child_id,
            due=False,
            keep_until=until,
            reason=f"{rule.name} keeps it until {until.isoformat()}",
        )
    return RetentionDecision(
        child_id=facts.child_id,
        due=True,
        keep_until=until,
        reason=f"{rule.name} expired on {until.isoformat()}",
    )


def parse_rules(text: str) -> tuple[RetentionRule, ...]:
    """Rules from YAML text: a list under `rules:`; ValueError naming the bad entry."""
    loaded = yaml.safe_load(text) or {}
    entries: Any = loaded.get("rules") if isinstance(loaded, Mapping) else None
    if not isinstance(entries, list) or not entries:
        raise ValueError("retention rules: expected a non-empty list under 'rules'")
    rules: list[RetentionRule] = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            raise ValueError(f"retention rules[{i}]: expected a mapping")
        anchor = entry.get("anchor")
        years = entry.get("years")
        kinds = entry.get("agency_kinds")
        if anchor not in ANCHORS:
            raise ValueError(f"retention rules[{i}].anchor: one of {', '.join(ANCHORS)}")
        if not isinstance(years, int) or isinstance(years, bool) or years < 1:
            raise ValueError(f"retention rules[{i}].years: a whole number of years, at least 1")
        if not isinstance(kinds, list) or not kinds or not all(isinstance(k, str) for k in kinds):
            raise ValueError(f"retention rules[{i}].agency_kinds: a non-empty list of kinds")
        rules.append(
            RetentionRule(
                name=str(entry.get("name") or f"rule {i}"),
                agency_kinds=frozenset(kinds),
                anchor=anchor,
                years=years,
                basis=str(entry.get("basis") or ""),
            )
        )
    return tuple(rules)
