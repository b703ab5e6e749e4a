"""Resolution cost does not grow with the index: table reads per event stay flat over 20,000."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, MutableMapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from streams.identity import Demographics, Identifiers, PersonSighted, resolve_changes
from streams.identity.identifiers import nhs_check_digit
from streams.identity.tables import TABLE_NAMES, IndexTables, write_changes

KEY = b"scale test key"
AT = datetime(2026, 1, 12, tzinfo=UTC)
SIGHTINGS = 20_000
WINDOW = 2_000


class CountingTable(MutableMapping[str, Any]):
    """A dict that counts key lookups (the work a faust table would do)."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.reads = 0

    def __getitem__(self, key: str) -> Any:
        self.reads += 1
        return self.data[key]

    def __contains__(self, key: object) -> bool:
        self.reads += 1
        return key in self.data

    def __setitem__(self, key: str, value: Any) -> None:
        self.data[key] = value

    def __delitem__(self, key: str) -> None:
        del self.data[key]

    def __iter__(self) -> Iterator[str]:
        raise AssertionError("resolution must never scan a table")

    def __len__(self) -> int:
        raise AssertionError("resolution must never size a table")


def _nhs_numbers(rng: random.Random, count: int) -> list[str]:
    found: list[str] = []
    while len(found) < count:
        nine = f"999{rng.randrange(10**6):06d}"
        check = nhs_check_digit(nine)
        if check is not None:
            found.append(f"{nine}{check}")
    return found


def _sightings(rng: random.Random) -> list[PersonSighted]:
    """A county's mix: most children seen again, some without an NHS number, some registrations."""
    children = SIGHTINGS // 4
    nhs = _nhs_numbers(rng, children)
    names = ["Ava", "Noah", "Mia", "Leo", "Isla", "Theo", "Ivy", "Alfie", "Rosie", "Arlo"]
    out = []
    for n in range(SIGHTINGS):
        child = rng.randrange(children) if n >= children else n
        has_nhs = child % 5 != 0
        demo = None
        if rng.random() < 0.3:
            demo = Demographics(
                given_name=names[child % len(names)],
                family_name=f"Family{child % 997}",
                date_of_birth=date(2012, 1, 1) + timedelta(days=child % 4000),
                postcode=f"TS{child % 30 + 1} {child % 9 + 1}AB",
            )
        out.append(
            PersonSighted(
                event_id=f"e{n}",
                recorded_at=AT,
                identifiers=Identifiers(
                    nhs_number=nhs[child] if has_nhs else None,
                    police_person_ref=f"PP-{child}" if child % 3 == 0 else None,
                ),
                demographics=demo,
            )
        )
    return out


def test_resolving_20000_sightings_reads_a_flat_number_of_keys_per_event() -> None:
    tables = {name: CountingTable() for name in TABLE_NAMES}
    index = IndexTables.of(tables)
    stream = _sightings(random.Random(7))
    reads_per_window: list[int] = []
    seconds_per_window: list[float] = []
    for start in range(0, SIGHTINGS, WINDOW):
        before = sum(t.reads for t in tables.values())
        began = time.perf_counter()
        for sighting in stream[start : start + WINDOW]:
            changes, _ = resolve_changes(index, sighting, key=KEY)
            write_changes(index, changes)
        seconds_per_window.append(time.perf_counter() - began)
        reads_per_window.append(sum(t.reads for t in tables.values()) - before)
    per_event_us = [s / WINDOW * 1e6 for s in seconds_per_window]
    print(
        f"\nidentity resolve + table write, per event by window of {WINDOW}: "
        + ", ".join(f"{us:.0f}" for us in per_event_us)
        + f" us (mean {sum(seconds_per_window) / SIGHTINGS * 1e6:.0f} us over {SIGHTINGS})"
    )
    print("table reads per event by window:", [round(r / WINDOW, 1) for r in reads_per_window])
    # The work per event is what scales, not the clock: reads per event stay flat once the
    # early windows (mostly new children) are past.
    settled = reads_per_window[2:]
    assert max(settled) <= 1.25 * min(settled)
    assert len(tables["records"].data) < SIGHTINGS
