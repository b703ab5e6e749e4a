"""Referrals, triage and the closed loop: pure domain (routing rules, working-hours timers, state).

No I/O: the rules file is read by `load_rules` at start-up, and the current time is an argument.
"""

from streams.referrals.rules import (
    DEFAULT_RULES,
    Destination,
    Rag,
    ReferralFacts,
    Route,
    RouteReason,
    Rules,
    RulesError,
    load_rules,
    route,
    rules_from_mapping,
)
from streams.referrals.state import (
    Missed,
    Outcome,
    Rating,
    ReferralState,
    Rejected,
    Timer,
    TimerKind,
    missed,
    timers,
)
from streams.referrals.workhours import WorkingCalendar, add_working_time, working_time_between

__all__ = [
    "DEFAULT_RULES",
    "Destination",
    "Missed",
    "Outcome",
    "Rag",
    "Rating",
    "ReferralFacts",
    "ReferralState",
    "Rejected",
    "Route",
    "RouteReason",
    "Rules",
    "RulesError",
    "Timer",
    "TimerKind",
    "WorkingCalendar",
    "add_working_time",
    "load_rules",
    "missed",
    "route",
    "rules_from_mapping",
    "timers",
    "working_time_between",
]
