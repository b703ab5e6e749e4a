"""The referral month's window lies before every other simulated history of a test session.

tests/integration/test_referrals_stage.py reconciles a month's indicators, which count everything
the session's stack holds for that month, with counts of its own events. Other integration tests
(chronology, erasure, identity reviews) publish simulated periods starting on or after
2022-01-03, and the simulator back-dates their baseline: police referrals made up to 330 days
before the period, early help assessments opened months before it. When the referral month was
drawn from 2019-2021, a month late in 2021 counted one of their referrals or assessments too:
one PiTstop referral more (with its outcome and its overdue time limit) and one early help
assessment more than the raw events said, in about one full-suite run in three. This checks the
window against the earliest thing those histories can put in a month's indicators.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from projections.reporting.indicators import month_bounds
from streams.simulation import generate
from tests.integration.test_referrals_stage import FIRST_YEAR, YEARS

# The earliest period start of the other simulated histories published in a test session
# (tests/integration: `date(2022, 1, 3) + timedelta(days=rng.randrange(900))`).
OTHER_PERIODS_FROM = date(2022, 1, 3)
# What the month's indicators count, by when it happened (referrals by made_at, early help and
# steps by occurred_at, Encompass notifications by when the incident happened).
COUNTED = frozenset(
    {
        "ReferralMade",
        "EarlyHelpAssessmentStarted",
        "EarlyHelpAssessmentClosed",
        "SteppedUp",
        "SteppedDown",
        "IncidentRecorded",
    }
)


def _window_end() -> datetime:
    return month_bounds(f"{FIRST_YEAR + YEARS - 1}-12")[1]


@pytest.mark.parametrize("seed", [3, 11])
def test_no_other_session_history_reaches_a_referral_month(seed: int) -> None:
    scenario = generate(seed, children=1000, schools=12, days=14, start=OTHER_PERIODS_FROM)
    counted = [e["occurred_at"] for e in scenario.events if e["event_type"] in COUNTED]
    back_dated = [at for at in counted if at < datetime(2022, 1, 1, tzinfo=UTC)]
    assert back_dated, "the simulator back-dates referrals and assessments before a period"
    assert min(counted) >= _window_end(), (
        f"a history from {OTHER_PERIODS_FROM} counts in {min(counted):%Y-%m}, "
        f"inside the referral test's months ({FIRST_YEAR}-{FIRST_YEAR + YEARS - 1})"
    )
