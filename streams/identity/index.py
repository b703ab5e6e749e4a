"""The person index: which child each sighting is about, as a pure fold over the identity stream.

A *record* is what one run of sightings established (a record id, the keyed hashes of its
identifiers). A *child* is a group of records joined by practitioners' PersonsLinked decisions; its
id is the lowest record id in the group, so it is the same on every replay. A record id never
changes, so consumers key what they keep by record id and ask `child_id_of` when they read.

Resolution rules, in order:
1. a valid NHS number already held by a record resolves to it (certain);
2. otherwise a valid UPN, police person reference or LA child id held by a record resolves to it;
3. otherwise a new record is minted (uuid5 of the keyed hash of its strongest identifier, else of
   the sighting's event id and subject position).
Whatever the rule, other records that share an identifier or demographics with the sighting become
review requests; only a practitioner's decision joins two records.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Final

from streams.identity.matching import (
    block_hashes,
    hashed_nhs_number,
    hashed_secondary,
    invalid_identifier_notes,
    match_reasons,
    score,
)
from streams.identity.model import (
    IdentityReviewRequested,
    PersonSighted,
    PersonsLinked,
    PersonsUnlinked,
    RecordRekeyed,
    Resolution,
    Rule,
)

# Fixed namespace so minted ids are the same on every replay, on every machine.
CHILD_ID_NAMESPACE: Final = uuid.UUID("6f1c3a52-6d1e-5b8e-9a57-2f0c4a1e7d30")

# A UPN, police person reference or LA child id held by another child: a strong sign of one child
# (or of a mistyped identifier), which is exactly what a human should look at.
SHARED_IDENTIFIER_SCORE: Final = 0.9

Pair = tuple[str, str]


class IdentityDecisionRejected(ValueError):
    """A link or unlink decision the index cannot apply (unknown id, no such direct link)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonRecord:
    """One record: its id, its identifiers' keyed hashes, and whether an NHS number verified it."""

    record_id: str
    identifiers: frozenset[str]
    nhs_verified: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonIndex:
    """Ids and keyed hashes only: no names, dates of birth, postcodes or identifiers in clear."""

    records: Mapping[str, PersonRecord] = field(default_factory=dict)
    owners: Mapping[str, str] = field(default_factory=dict)  # identifier hash -> record id
    blocks: Mapping[str, frozenset[str]] = field(default_factory=dict)  # block hash -> record ids
    edges: Mapping[str, frozenset[str]] = field(default_factory=dict)  # practitioner links
    distinct: frozenset[Pair] = frozenset()  # pairs a practitioner said are different children
    pending: Mapping[Pair, str] = field(default_factory=dict)  # child pair -> open review id


def _pair(a: str, b: str) -> Pair:
    return (a, b) if a <= b else (b, a)


def members(index: PersonIndex, record_id: str) -> frozenset[str]:
    """Every record linked (directly or through others) with this one, itself included."""
    seen = {record_id}
    frontier = [record_id]
    while frontier:
        for other in index.edges.get(frontier.pop(), frozenset()):
            if other not in seen:
                seen.add(other)
                frontier.append(other)
    return frozenset(seen)


def child_id_of(index: PersonIndex, record_id: str) -> str:
    """The child a record belongs to now: the lowest record id of its linked group."""
    if record_id not in index.edges:
        return record_id
    return min(members(index, record_id))


def children(index: PersonIndex) -> frozenset[str]:
    """Every child id the index knows."""
    return frozenset(child_id_of(index, r) for r in index.records)


def links(index: PersonIndex, child_id: str) -> tuple[Pair, ...]:
    """The direct practitioner links inside a child's group (what PersonsUnlinked can name)."""
    group = members(index, child_id)
    return tuple(sorted({_pair(a, b) for a in group for b in index.edges.get(a, frozenset())}))


def is_verified(index: PersonIndex, child_id: str) -> bool:
    """True when any record of the child holds a valid NHS number."""
    return any(index.records[r].nhs_verified for r in members(index, child_id))


def match_rate(index: PersonIndex) -> float:
    """Share of children with a verified NHS number (0.0 for an empty index)."""
    ids = children(index)
    if not ids:
        return 0.0
    return sum(1 for c in ids if is_verified(index, c)) / len(ids)


def _declared_distinct(index: PersonIndex, a: str, b: str) -> bool:
    group_b = members(index, b)
    return any(_pair(x, y) in index.distinct for x in members(index, a) for y in group_b)


def _mint(index: PersonIndex, sighting: PersonSighted, seeds: Iterable[str]) -> str:
    fallback = f"sighting:{sighting.event_id}:{sighting.subject_index}"
    for seed in seeds:
        candidate = str(uuid.uuid5(CHILD_ID_NAMESPACE, seed))
        if candidate not in index.records:
            return candidate
    # A redelivered sighting with nothing else to go on finds the record it made the first time.
    return str(uuid.uuid5(CHILD_ID_NAMESPACE, fallback))


def _candidates(
    index: PersonIndex,
    target_child: str,
    target_verified: bool,
    known: list[tuple[str, str]],
    blocks: Mapping[str, tuple[str, ...]],
) -> dict[str, tuple[float, set[str]]]:
    """Other children that may be this one: child id -> (score, reasons)."""
    candidates: dict[str, tuple[float, set[str]]] = {}
    for kind, owner in known:
        other = child_id_of(index, owner)
        if other != target_child:
            best, why = candidates.get(other, (0.0, set()))
            candidates[other] = (max(best, SHARED_IDENTIFIER_SCORE), why | {f"{kind}_shared"})
    matched: dict[str, set[str]] = {}
    for digest, block in blocks.items():
        for rid in index.blocks.get(digest, frozenset()):
            other = child_id_of(index, rid)
            if other != target_child:
                matched.setdefault(other, set()).update(block)
    for other, features in matched.items():
        # Two different valid NHS numbers are two children, however alike the demographics.
        if target_verified and is_verified(index, other):
            continue
        best, why = candidates.get(other, (0.0, set()))
        found = frozenset(features)
        candidates[other] = (max(best, score(found)), why | set(match_reasons(found)))
    return candidates


def resolve(
    index: PersonIndex, sighting: PersonSighted, *, key: bytes
) -> tuple[PersonIndex, Resolution]:
    """Fold one sighting into the index; `key` is the secret for the keyed hashes."""
    nhs = hashed_nhs_number(sighting.identifiers, key)
    secondary = hashed_secondary(sighting.identifiers, key)
    known = [(kind, index.owners[h]) for kind, h in secondary if h in index.owners]
    nhs_owner = index.owners.get(nhs) if nhs is not None else None

    rule: Rule
    if nhs_owner is not None:
        target, rule = nhs_owner, "nhs_number"
    elif known and not (nhs is not None and is_verified(index, known[0][1])):
        target, rule = known[0][1], "known_identifier"
    else:
        # Nothing known, or a second valid NHS number for a verified child: certainly another
        # child, so a new record (the shared identifier becomes a review below).
        unowned = [f"{kind}:{h}" for kind, h in secondary if h not in index.owners]
        seeds = ([f"nhs_number:{nhs}"] if nhs is not None else []) + unowned
        target, rule = _mint(index, sighting, seeds), "new_child"

    minted = target not in index.records
    record = index.records.get(target) or PersonRecord(
        record_id=target, identifiers=frozenset(), nhs_verified=False
    )
    target_child = target if minted else child_id_of(index, target)
    attach = {h for _, h in secondary if h not in index.owners}
    verified = record.nhs_verified
    if nhs is not None and nhs_owner is None and (minted or not is_verified(index, target)):
        attach.add(nhs)
        verified = True

    blocks = block_hashes(sighting.demographics, key) if sighting.demographics else {}
    target_verified = verified or (not minted and is_verified(index, target))
    candidates = _candidates(index, target_child, target_verified, known, blocks)

    reviews: list[IdentityReviewRequested] = []
    pending = dict(index.pending)
    for other in sorted(candidates):
        pair = _pair(target_child, other)
        if pair in pending or (not minted and _declared_distinct(index, target_child, other)):
            continue
        best, why = candidates[other]
        review_id = str(
            uuid.uuid5(CHILD_ID_NAMESPACE, f"review:{pair[0]}:{pair[1]}:{sighting.event_id}")
        )
        pending[pair] = review_id
        reviews.append(
            IdentityReviewRequested(
                review_id=review_id,
                child_ids=pair,
                score=best,
                reasons=tuple(sorted(why)),
                requested_at=sighting.recorded_at,
                triggered_by=sighting.event_id,
            )
        )

    new_blocks = {d for d in blocks if target not in index.blocks.get(d, frozenset())}
    changed = minted or attach or new_blocks or reviews or verified != record.nhs_verified
    if changed:
        record = replace(record, identifiers=record.identifiers | attach, nhs_verified=verified)
        index = replace(
            index,
            records={**index.records, target: record},
            owners={**index.owners, **dict.fromkeys(attach, target)},
            blocks={
                **index.blocks,
                **{d: index.blocks.get(d, frozenset()) | {target} for d in new_blocks},
            },
            pending=pending,
        )
    resolution = Resolution(
        record_id=target,
        child_id=child_id_of(index, target),
        rule=rule,
        minted=minted,
        notes=invalid_identifier_notes(sighting.identifiers),
        reviews=tuple(reviews),
    )
    return index, resolution


def decide(
    index: PersonIndex, decision: PersonsLinked | PersonsUnlinked
) -> tuple[PersonIndex, tuple[RecordRekeyed, ...]]:
    """Apply a practitioner's link or unlink; returns the records whose child id changed.

    Linking joins the two groups (the lower id survives). Unlinking removes the direct link
    between the two ids, splitting the group if nothing else joins them, and records that they
    are different children so the pair is not sent for review again. Unlinking two ids that are
    joined only through other records is rejected: name the direct link (see `links`).
    """
    a, b = decision.child_ids
    for rid in (a, b):
        if rid not in index.records:
            raise IdentityDecisionRejected(f"unknown child id {rid}")
    if a == b:
        raise IdentityDecisionRejected("a child cannot be linked to or unlinked from itself")
    pair = _pair(a, b)
    before = {r: child_id_of(index, r) for r in members(index, a) | members(index, b)}
    edges = dict(index.edges)
    if isinstance(decision, PersonsLinked):
        edges[a] = edges.get(a, frozenset()) | {b}
        edges[b] = edges.get(b, frozenset()) | {a}
        distinct = index.distinct - {pair}
    else:
        if b not in edges.get(a, frozenset()) and before[a] == before[b]:
            raise IdentityDecisionRejected(f"{a} and {b} are joined only through other records")
        for x, y in ((a, b), (b, a)):
            remaining = edges.get(x, frozenset()) - {y}
            if remaining:
                edges[x] = remaining
            else:
                edges.pop(x, None)
        distinct = index.distinct | {pair}
    pending = {
        p: review
        for p, review in index.pending.items()
        if p != pair and review != decision.review_id
    }
    index = replace(index, edges=edges, distinct=distinct, pending=pending)
    rekeyed = tuple(
        RecordRekeyed(record_id=r, from_child_id=old, to_child_id=new)
        for r, old in sorted(before.items())
        if (new := child_id_of(index, r)) != old
    )
    return index, rekeyed
