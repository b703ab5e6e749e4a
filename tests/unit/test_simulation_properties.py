"""Property: any small seed and size gives a valid, reconciled, reproducible scenario."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from streams.simulation import generate, read_lines, to_lines
from tests.unit.test_simulation_generate import check_scenario

_SIZES = st.fixed_dictionaries(
    {
        "seed": st.integers(min_value=0, max_value=2**32),
        "children": st.integers(min_value=1, max_value=40),
        "schools": st.integers(min_value=1, max_value=7),
        "days": st.integers(min_value=1, max_value=10),
        # Across both clock changes and the turn of the year.
        "start": st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)),
    }
)


@settings(max_examples=40, deadline=None)
@given(_SIZES)
def test_any_small_scenario_is_valid_and_reconciles(size: dict[str, int | date]) -> None:
    seed, start = size["seed"], size["start"]
    assert isinstance(seed, int)
    assert isinstance(start, date)
    children, schools, days = (int(str(size[k])) for k in ("children", "schools", "days"))
    scenario = generate(seed, children=children, schools=schools, days=days, start=start)
    check_scenario(scenario)
    assert len(scenario.manifest.children) == children
    assert scenario.valid_at == scenario.manifest.end + timedelta(days=1)
    again = generate(seed, children=children, schools=schools, days=days, start=start)
    lines = list(to_lines(scenario.events))
    assert lines == list(to_lines(again.events))
    assert [line.record for line in read_lines(lines)] == scenario.events
