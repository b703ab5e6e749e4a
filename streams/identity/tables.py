"""The person index kept in key-value tables: string keys, JSON values, one entry per key.

For the stream agent: each map of `IndexView` is one table (a faust Table in the worker; any
`MutableMapping[str, Any]`, such as a dict, in tests). Adapters read the tables as the typed
mappings the pure code needs; `write_changes` writes a change set key by key. Pairs are stored
as "a|b" (record ids are uuids, which hold no "|"), sets as sorted lists, records as
{"identifiers": [...], "nhs_verified": bool}. Only ids, keyed hashes and counts: the tables'
changelog topics are a second copy of whatever they hold.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

from streams.identity.state import IndexChanges, Pair, PersonRecord

K = TypeVar("K")
V = TypeVar("V")

Table = MutableMapping[str, Any]

# The tables, by the name each is declared under (the changelog topic is <app>-<name>-changelog).
TABLE_NAMES: Final = (
    "records",
    "owners",
    "blocks",
    "edges",
    "distinct",
    "pending",
    "reviews",
    "tallies",
)

_SEP: Final = "|"


def pair_key(pair: Pair) -> str:
    """A pair of ids as one table key."""
    return f"{pair[0]}{_SEP}{pair[1]}"


def key_pair(key: str) -> Pair:
    """The pair a table key stands for."""
    first, second = key.split(_SEP)
    return (first, second)


def _same(value: str) -> str:
    return value


def _record_json(record: PersonRecord) -> dict[str, Any]:
    return {"identifiers": sorted(record.identifiers), "nhs_verified": record.nhs_verified}


class JsonMapping(Mapping[K, V], Generic[K, V]):
    """A table read as a typed mapping: keys and values converted on the way out."""

    __slots__ = ("_from_json", "_key_in", "_key_out", "_table")

    def __init__(
        self,
        table: Table,
        *,
        key_in: Callable[[K], str],
        key_out: Callable[[str], K],
        from_json: Callable[[K, Any], V],
    ) -> None:
        self._table = table
        self._key_in = key_in
        self._key_out = key_out
        self._from_json = from_json

    def __getitem__(self, key: K) -> V:
        return self._from_json(key, self._table[self._key_in(key)])

    def __contains__(self, key: object) -> bool:
        return self._key_in(key) in self._table  # type: ignore[arg-type]  # key is a K here

    def __iter__(self) -> Iterator[K]:  # a scan: for tests and reports, never per event
        return (self._key_out(k) for k in list(self._table))

    def __len__(self) -> int:
        return len(self._table)


def _str_map(table: Table) -> JsonMapping[str, str]:
    return JsonMapping(table, key_in=_same, key_out=_same, from_json=lambda _k, v: str(v))


def _set_map(table: Table) -> JsonMapping[str, frozenset[str]]:
    return JsonMapping(table, key_in=_same, key_out=_same, from_json=lambda _k, v: frozenset(v))


@dataclass(frozen=True, slots=True)
class _PairSet:
    table: Table

    def __contains__(self, pair: object) -> bool:
        return isinstance(pair, tuple) and pair_key(pair) in self.table


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexTables:
    """The eight tables of the index; also an `IndexView` of them."""

    records_table: Table
    owners_table: Table
    blocks_table: Table
    edges_table: Table
    distinct_table: Table
    pending_table: Table
    reviews_table: Table
    tallies_table: Table

    @classmethod
    def of(cls, tables: Mapping[str, Table]) -> IndexTables:
        """From tables by name (see TABLE_NAMES)."""
        return cls(**{f"{name}_table": tables[name] for name in TABLE_NAMES})

    @classmethod
    def in_memory(cls) -> IndexTables:
        """Plain dicts in place of tables (tests, tools)."""
        return cls.of({name: {} for name in TABLE_NAMES})

    @property
    def records(self) -> Mapping[str, PersonRecord]:
        return JsonMapping(
            self.records_table,
            key_in=_same,
            key_out=_same,
            from_json=lambda k, v: PersonRecord(
                record_id=k,
                identifiers=frozenset(v["identifiers"]),
                nhs_verified=bool(v["nhs_verified"]),
            ),
        )

    @property
    def owners(self) -> Mapping[str, str]:
        return _str_map(self.owners_table)

    @property
    def blocks(self) -> Mapping[str, frozenset[str]]:
        return _set_map(self.blocks_table)

    @property
    def edges(self) -> Mapping[str, frozenset[str]]:
        return _set_map(self.edges_table)

    @property
    def distinct(self) -> _PairSet:
        return _PairSet(self.distinct_table)

    @property
    def pending(self) -> Mapping[Pair, str]:
        return JsonMapping(
            self.pending_table, key_in=pair_key, key_out=key_pair, from_json=lambda _k, v: str(v)
        )

    @property
    def reviews(self) -> Mapping[str, Pair]:
        return JsonMapping(
            self.reviews_table, key_in=_same, key_out=_same, from_json=lambda _k, v: key_pair(v)
        )

    @property
    def tallies(self) -> Mapping[str, int]:
        return JsonMapping(
            self.tallies_table, key_in=_same, key_out=_same, from_json=lambda _k, v: int(v)
        )


def _write(table: Table, key: str, value: Any) -> None:
    if value is None:
        table.pop(key, None)
    else:
        table[key] = value


def write_changes(tables: IndexTables, changes: IndexChanges) -> None:
    """Write a change set into the tables, one key at a time (None removes the key)."""
    for rid, record in changes.records.items():
        _write(tables.records_table, rid, _record_json(record))
    for digest, owner in changes.owners.items():
        _write(tables.owners_table, digest, owner)
    for digest, rids in changes.blocks.items():
        _write(tables.blocks_table, digest, sorted(rids))
    for rid, linked in changes.edges.items():
        _write(tables.edges_table, rid, None if linked is None else sorted(linked))
    for pair, different in changes.distinct.items():
        _write(tables.distinct_table, pair_key(pair), True if different else None)
    for pair, review in changes.pending.items():
        _write(tables.pending_table, pair_key(pair), review)
    for review, reviewed in changes.reviews.items():
        _write(tables.reviews_table, review, None if reviewed is None else pair_key(reviewed))
    for name, count in changes.tallies.items():
        _write(tables.tallies_table, name, count)
