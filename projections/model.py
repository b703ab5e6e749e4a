"""What a projection is, as data: the pure contract between a mapping and the machinery.

A projection reads one or more topics and turns each record into rows of one or more tables.
Its mapping is a pure function ``SourceRecord -> Sequence[row]``: no I/O, no clock. The runner
(projections.runner) and the store (projections.store) do the rest: batching, COPY into a
staging table, INSERT ... ON CONFLICT, and the position in the same transaction.

A row is an instance of a frozen dataclass; its fields, in order, are the columns the
projection writes (the table may have more, filled by defaults, such as ``projected_at``).
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from schemas import codec

# (topic, partition): where a position is kept.
TopicPartition = tuple[str, int]


class SourceRecord(NamedTuple):
    """One Kafka record as the mapping sees it: plain values, no client objects.

    A named tuple rather than a frozen dataclass: a rebuild makes one per record per projection
    (5,000,000 for a log of 1,000,000 events), and this is a fifth of the cost to make."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...] = ()
    timestamp_ms: int = 0

    def header(self, name: str) -> bytes | None:
        """The last header of this name (None when absent)."""
        found = None
        for key, value in self.headers:
            if key == name:
                found = value
        return found


class SkipRecord(Exception):
    """Raised by a mapping for a record it cannot project (e.g. undecodable bytes).

    The position moves past it and `hub_projection_skipped_total{reason}` counts it; the reason
    must be a short fixed label, never content.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def decode_or_skip(record: SourceRecord, fields: frozenset[str] | None = None) -> codec.Decoded:
    """The record's event, decoded; SkipRecord for a tombstone or bytes no schema here reads
    (the log is validated before acceptance, so that means a schema missing here). With
    ``fields``, it is read only as far as those fields (codec.decode_fields): for mappings of
    the validated logs that need no more."""
    if record.value is None:
        raise SkipRecord("tombstone")
    try:
        if fields is None:
            return codec.decode(record.value)
        return codec.decode_fields(record.value, fields)
    except codec.DecodeError as exc:
        raise SkipRecord(type(exc).__name__) from None


def peeked_event_type(record: SourceRecord) -> str | None:
    """The event type the record's framing names, read without decoding the body (about 1 µs
    against 39 µs for an incident), so a projection that wants few types skips the rest; None
    when the framing does not say (a tombstone, bytes no schema here reads: decode_or_skip then
    says why)."""
    if record.value is None:
        return None
    try:
        return codec.peek_writer(record.value).event_type
    except codec.DecodeError:
        return None


def framed_outside(record: SourceRecord, wanted: Collection[str]) -> bool:
    """Whether the record's framing names an event type outside ``wanted``: a mapping that
    reads few types returns no rows for it without decoding (undecidable framing: False, so
    decode_or_skip says why)."""
    peeked = peeked_event_type(record)
    return peeked is not None and peeked not in wanted


@dataclass(frozen=True, slots=True, kw_only=True)
class Table:
    """A table a projection writes: its row type, key and what a second write of a key does."""

    name: str
    row_type: type[Any]
    key: tuple[str, ...]
    # "nothing": the first write wins (append-only facts); "update": the last write wins;
    # "merge": a later write sets only the columns it knows (None leaves a column as it is).
    on_conflict: Literal["nothing", "update", "merge"] = "nothing"
    # For "update" / "merge": an SQL condition over ``stored`` (the row in the table) and
    # ``EXCLUDED`` (the incoming row) under which a conflicting write applies, e.g. a revision
    # guard. A constant of the projection's code, never built from data.
    update_when: str | None = None
    # A timestamptz column holding when the fact was recorded at its source, for e2e latency.
    recorded_at_column: str | None = None
    # A timestamptz column holding when the fact happened (the event's occurred_at), for the
    # occurred-to-projected latency (incidents are often recorded hours after they happen).
    occurred_at_column: str | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(self.row_type))

    def __post_init__(self) -> None:
        if not dataclasses.is_dataclass(self.row_type):
            raise TypeError(f"{self.name}: row_type must be a dataclass")
        named = (*self.key, self.recorded_at_column, self.occurred_at_column)
        missing = [k for k in named if k and k not in self.columns]
        if missing:
            raise ValueError(f"{self.name}: {missing} are not fields of {self.row_type.__name__}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Projection:
    """A named read model: the topics it reads, the tables it writes and the pure mapping."""

    name: str
    topics: tuple[str, ...]
    tables: tuple[Table, ...]
    map: Callable[[SourceRecord], Sequence[Any]]
    doc: str = ""

    def table_for(self, row: Any) -> Table:
        """The table a row belongs to (by its type)."""
        for table in self.tables:
            if type(row) is table.row_type:
                return table
        raise TypeError(f"{self.name}: no table takes rows of type {type(row).__name__}")

    def renamed(self, suffix: str) -> Projection:
        """The same projection under ``<name><suffix>`` writing ``<table><suffix>``.

        Used by rebuilds (``__rebuild``) and by side-by-side instances in tests.
        """
        return dataclasses.replace(
            self,
            name=f"{self.name}{suffix}",
            tables=tuple(dataclasses.replace(t, name=f"{t.name}{suffix}") for t in self.tables),
        )


def row_values(row: Any) -> tuple[Any, ...]:
    """A row's values in column order (shallow: nested values stay as they are)."""
    getter = _VALUES_GETTERS.get(type(row))
    if getter is None:
        # Once per row type: dataclasses.fields on every row was a tenth of a rebuild's time.
        names = [f.name for f in dataclasses.fields(row)]
        getter = operator.attrgetter(*names) if len(names) > 1 else _one(names[0])
        _VALUES_GETTERS[type(row)] = getter
    return getter(row)


_VALUES_GETTERS: dict[type[Any], Callable[[Any], tuple[Any, ...]]] = {}


def _one(name: str) -> Callable[[Any], tuple[Any, ...]]:
    return lambda row: (getattr(row, name),)
