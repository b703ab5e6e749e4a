"""Synthetic multi-agency histories for demos, tests and benchmarks (pure and deterministic).

`generate(seed, children=N, schools=M, days=D, start=date)` returns a `Scenario`: the events
each agency would publish, in publication order, and a `Manifest` of what was planted.
Only synthetic people: NHS numbers in the 999 test range, invented names and addresses.
"""

from streams.simulation.generate import Scenario, generate
from streams.simulation.jsonl import Line, read_lines, to_line, to_lines
from streams.simulation.manifest import Ambiguity, ChildTruth, Manifest
from streams.simulation.model import Options
from streams.simulation.world import IncidentTruth, ReferralTruth

__all__ = [
    "Ambiguity",
    "ChildTruth",
    "IncidentTruth",
    "Line",
    "Manifest",
    "Options",
    "ReferralTruth",
    "Scenario",
    "generate",
    "read_lines",
    "to_line",
    "to_lines",
]
