"""What the person index holds, read through mappings, and change sets that write it key by key.

The index is eight maps of ids and keyed hashes. `resolve`/`decide` read them through the
`IndexView` protocol (read-only mappings: any store that answers `in` and `[]` for one key will
do) and return an `IndexChanges`: the key-level writes to make. Two appliers exist: the pure fold
`apply_changes` (tests, replays) and the table writer in `streams.identity.tables` (the agent).
Reads cost one lookup per key, so an event costs the same however large the index grows.
"""

from __future__ import annotations

from collections.abc import Container, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Final, Protocol, TypeVar

Pair = tuple[str, str]

K = TypeVar("K")
V = TypeVar("V")

# Keys of the tallies map: how many children the index knows, and how many hold a valid NHS number.
CHILDREN: Final = "children"
VERIFIED: Final = "verified"


def pair_of(a: str, b: str) -> Pair:
    """Two ids in a fixed order, so a pair has one key."""
    return (a, b) if a <= b else (b, a)


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonRecord:
    """One record: its id, its identifiers' keyed hashes, and whether an NHS number verified it."""

    record_id: str
    identifiers: frozenset[str]
    nhs_verified: bool


class IndexView(Protocol):
    """The reads `resolve` and `decide` make: one key at a time, never a scan."""

    @property
    def records(self) -> Mapping[str, PersonRecord]: ...  # record id -> record

    @property
    def owners(self) -> Mapping[str, str]: ...  # identifier hash -> record id

    @property
    def blocks(self) -> Mapping[str, frozenset[str]]: ...  # block hash -> record ids

    @property
    def edges(self) -> Mapping[str, frozenset[str]]: ...  # record id -> directly linked ids

    @property
    def distinct(self) -> Container[Pair]: ...  # pairs a practitioner said are different

    @property
    def pending(self) -> Mapping[Pair, str]: ...  # child pair -> open review id

    @property
    def reviews(self) -> Mapping[str, Pair]: ...  # open review id -> child pair

    @property
    def tallies(self) -> Mapping[str, int]: ...  # CHILDREN, VERIFIED -> count


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonIndex:
    """The index as an immutable value. Ids and keyed hashes only: nothing in clear."""

    records: Mapping[str, PersonRecord] = field(default_factory=dict)
    owners: Mapping[str, str] = field(default_factory=dict)
    blocks: Mapping[str, frozenset[str]] = field(default_factory=dict)
    edges: Mapping[str, frozenset[str]] = field(default_factory=dict)
    distinct: frozenset[Pair] = frozenset()
    pending: Mapping[Pair, str] = field(default_factory=dict)
    reviews: Mapping[str, Pair] = field(default_factory=dict)
    tallies: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexChanges:
    """Key-level writes to each map of the index. None (False for `distinct`) removes the key."""

    records: Mapping[str, PersonRecord] = field(default_factory=dict)
    owners: Mapping[str, str] = field(default_factory=dict)
    blocks: Mapping[str, frozenset[str]] = field(default_factory=dict)
    edges: Mapping[str, frozenset[str] | None] = field(default_factory=dict)
    distinct: Mapping[Pair, bool] = field(default_factory=dict)
    pending: Mapping[Pair, str | None] = field(default_factory=dict)
    reviews: Mapping[str, Pair | None] = field(default_factory=dict)
    tallies: Mapping[str, int] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """True when applying these changes writes nothing."""
        return not any(
            (
                self.records,
                self.owners,
                self.blocks,
                self.edges,
                self.distinct,
                self.pending,
                self.reviews,
                self.tallies,
            )
        )


NO_CHANGES: Final = IndexChanges()


def then(first: IndexChanges, second: IndexChanges) -> IndexChanges:
    """One change set with the effect of `first` followed by `second` (later writes win)."""
    return IndexChanges(
        records={**first.records, **second.records},
        owners={**first.owners, **second.owners},
        blocks={**first.blocks, **second.blocks},
        edges={**first.edges, **second.edges},
        distinct={**first.distinct, **second.distinct},
        pending={**first.pending, **second.pending},
        reviews={**first.reviews, **second.reviews},
        tallies={**first.tallies, **second.tallies},
    )


class Overlay(Mapping[K, V]):
    """A read-only mapping: `writes` over `base`, where a None write hides the base's key."""

    __slots__ = ("_base", "_writes")

    def __init__(self, base: Mapping[K, V], writes: Mapping[K, V | None]) -> None:
        self._base = base
        self._writes = writes

    def __getitem__(self, key: K) -> V:
        if key in self._writes:
            value = self._writes[key]
            if value is None:
                raise KeyError(key)
            return value
        return self._base[key]

    def __contains__(self, key: object) -> bool:
        if key in self._writes:
            return self._writes[key] is not None  # type: ignore[index]  # key is a K here
        return key in self._base

    def __iter__(self) -> Iterator[K]:  # a scan: for tests and reports, never per event
        for key in self._base:
            if key not in self._writes:
                yield key
        for key, value in self._writes.items():
            if value is not None:
                yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)


@dataclass(frozen=True, slots=True)
class _OverlaidSet:
    base: Container[Pair]
    writes: Mapping[Pair, bool]

    def __contains__(self, pair: object) -> bool:
        if pair in self.writes:
            return self.writes[pair]  # type: ignore[index]  # pair is a Pair here
        return pair in self.base


@dataclass(frozen=True, slots=True, kw_only=True)
class _OverlaidIndex:
    records: Mapping[str, PersonRecord]
    owners: Mapping[str, str]
    blocks: Mapping[str, frozenset[str]]
    edges: Mapping[str, frozenset[str]]
    distinct: Container[Pair]
    pending: Mapping[Pair, str]
    reviews: Mapping[str, Pair]
    tallies: Mapping[str, int]


def overlay(view: IndexView, changes: IndexChanges) -> IndexView:
    """The index as it reads after `changes`, without writing anything (cost: no copies)."""
    if changes.empty:
        return view
    return _OverlaidIndex(
        records=Overlay(view.records, changes.records),
        owners=Overlay(view.owners, changes.owners),
        blocks=Overlay(view.blocks, changes.blocks),
        edges=Overlay(view.edges, changes.edges),
        distinct=_OverlaidSet(view.distinct, changes.distinct),
        pending=Overlay(view.pending, changes.pending),
        reviews=Overlay(view.reviews, changes.reviews),
        tallies=Overlay(view.tallies, changes.tallies),
    )


def _written(base: Mapping[K, V], writes: Mapping[K, V | None]) -> Mapping[K, V]:
    if not writes:
        return base
    merged = dict(base)
    for key, value in writes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def apply_changes(index: PersonIndex, changes: IndexChanges) -> PersonIndex:
    """The pure fold: a new index with the changes written (maps not written are shared)."""
    if changes.empty:
        return index
    distinct = index.distinct
    if changes.distinct:
        added = {p for p, keep in changes.distinct.items() if keep}
        removed = {p for p, keep in changes.distinct.items() if not keep}
        distinct = (distinct - removed) | added
    return PersonIndex(
        records=_written(index.records, changes.records),
        owners=_written(index.owners, changes.owners),
        blocks=_written(index.blocks, changes.blocks),
        edges=_written(index.edges, changes.edges),
        distinct=distinct,
        pending=_written(index.pending, changes.pending),
        reviews=_written(index.reviews, changes.reviews),
        tallies=_written(index.tallies, changes.tallies),
    )


# --- reads every caller shares (each touches one child's group, never the whole index) ---


def group_of(edges: Mapping[str, frozenset[str]], record_id: str) -> frozenset[str]:
    """Every record linked (directly or through others) with this one in `edges`, itself included."""
    seen = {record_id}
    frontier = [record_id]
    while frontier:
        for other in edges.get(frontier.pop(), frozenset()):
            if other not in seen:
                seen.add(other)
                frontier.append(other)
    return frozenset(seen)


def members(index: IndexView, record_id: str) -> frozenset[str]:
    """Every record linked (directly or through others) with this one, itself included."""
    return group_of(index.edges, record_id)


def child_id_of(index: IndexView, record_id: str) -> str:
    """The child a record belongs to now: the lowest record id of its linked group."""
    if record_id not in index.edges:
        return record_id
    return min(members(index, record_id))


def is_verified(index: IndexView, child_id: str) -> bool:
    """True when any record of the child holds a valid NHS number."""
    return any(index.records[r].nhs_verified for r in members(index, child_id))


def links(index: IndexView, child_id: str) -> tuple[Pair, ...]:
    """The direct practitioner links inside a child's group (what PersonsUnlinked can name)."""
    group = members(index, child_id)
    return tuple(sorted({pair_of(a, b) for a in group for b in index.edges.get(a, frozenset())}))


def match_rate(index: IndexView) -> float:
    """Share of children with a verified NHS number (0.0 for an empty index); reads two keys."""
    known = index.tallies.get(CHILDREN, 0)
    return index.tallies.get(VERIFIED, 0) / known if known else 0.0


def tally_writes(index: IndexView, *, children: int, verified: int) -> dict[str, int]:
    """The tallies map's new values after adding these (possibly negative) amounts."""
    writes: dict[str, int] = {}
    for name, delta in ((CHILDREN, children), (VERIFIED, verified)):
        if delta:
            writes[name] = index.tallies.get(name, 0) + delta
    return writes


def children(index: PersonIndex) -> frozenset[str]:
    """Every child id the index knows: a scan of every record, for tests and reports."""
    return frozenset(child_id_of(index, r) for r in index.records)
