"""`generate`: a seeded, deterministic multi-agency history for N children over D days."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from streams.simulation.activity import simulate_days
from streams.simulation.baseline import publish_baseline
from streams.simulation.log import Log, local
from streams.simulation.manifest import Manifest, build_manifest
from streams.simulation.model import Options
from streams.simulation.population import build_population
from streams.simulation.world import World


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """The events in publication order (records for `codec.encode`) and their ground truth."""

    events: list[dict[str, Any]]
    manifest: Manifest

    @property
    def valid_at(self) -> datetime:
        """A `now` at which every event passes `validate_event` (a day after the period)."""
        return self.manifest.valid_at


def generate(
    seed: int,
    *,
    children: int,
    schools: int,
    days: int,
    start: date,
    options: Options | None = None,
) -> Scenario:
    """Simulate `children` children across `schools` schools for `days` days from `start`.

    The same arguments always give the same events, byte for byte: every choice comes from
    one `random.Random(seed)` and no clock is read.
    """
    if children < 1 or schools < 1 or days < 1:
        raise ValueError("children, schools and days must each be at least 1")
    options = options or Options()
    # Not for secrets: a seeded generator is the point (same seed, same history).
    rng = random.Random(seed)  # noqa: S311
    population = build_population(rng, options, children=children, schools=schools, start=start)
    postcodes = {c.key: h.postcode for h in population.households for c in h.children}
    log = Log(
        rng,
        options,
        end=local(start + timedelta(days=days), 0),
        blocks=population.blocks,
        postcodes=postcodes,
    )
    world = World(
        rng=rng,
        side_rng=random.Random(f"{seed}:planted"),  # noqa: S311
        options=options,
        log=log,
        population=population,
        start=start,
        days=days,
    )
    publish_baseline(world)
    simulate_days(world)
    events = log.events()
    return Scenario(events=events, manifest=build_manifest(world, seed, events))
