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

`resolve_changes` and `decide_changes` read the index through `IndexView` (one key at a time) and
return the key-level writes to make (`IndexChanges`); `resolve` and `decide` are the same with
the changes folded into an immutable `PersonIndex`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
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
from streams.identity.state import (
    IndexChanges,
    IndexView,
    Overlay,
    Pair,
    PersonIndex,
    PersonRecord,
    apply_changes,
    child_id_of,
    group_of,
    is_verified,
    members,
    pair_of,
    tally_writes,
)

# Fixed namespace so minted ids are the same on every replay, on every machine.
CHILD_ID_NAMESPACE: Final = uuid.UUID("6f1c3a52-6d1e-5b8e-9a57-2f0c4a1e7d30")

# A UPN, police person reference or LA child id held by another child: a strong sign of one child
# (or of a mistyped identifier), which is exactly what a human should look at.
SHARED_IDENTIFIER_SCORE: Final = 0.9


class IdentityDecisionRejected(ValueError):
    """A link or unlink decision the index cannot apply (unknown id, no such direct link)."""


def _declared_distinct(index: IndexView, a: str, b: str) -> bool:
    group_b = members(index, b)
    return any(pair_of(x, y) in index.distinct for x in members(index, a) for y in group_b)


def _mint(index: IndexView, sighting: PersonSighted, seeds: Iterable[str]) -> str:
    fallback = f"sighting:{sighting.event_id}:{sighting.subject_index}"
    for seed in seeds:
        candidate = str(uuid.uuid5(CHILD_ID_NAMESPACE, seed))
        if candidate not in index.records:
            return candidate
    # A redelivered sighting with nothing else to go on finds the record it made the first time.
    return str(uuid.uuid5(CHILD_ID_NAMESPACE, fallback))


def _candidates(
    index: IndexView,
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


def resolve_changes(
    index: IndexView, sighting: PersonSighted, *, key: bytes
) -> tuple[IndexChanges, Resolution]:
    """Which child a sighting is about, and the writes that record it; `key` keys the hashes."""
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
    group_verified = not minted and is_verified(index, target)
    attach = {h for _, h in secondary if h not in index.owners}
    verified = record.nhs_verified
    if nhs is not None and nhs_owner is None and (minted or not group_verified):
        attach.add(nhs)
        verified = True

    blocks = block_hashes(sighting.demographics, key) if sighting.demographics else {}
    candidates = _candidates(index, target_child, verified or group_verified, known, blocks)

    reviews: list[IdentityReviewRequested] = []
    for other in sorted(candidates):
        pair = pair_of(target_child, other)
        if pair in index.pending or (not minted and _declared_distinct(index, target_child, other)):
            continue
        best, why = candidates[other]
        review_id = str(
            uuid.uuid5(CHILD_ID_NAMESPACE, f"review:{pair[0]}:{pair[1]}:{sighting.event_id}")
        )
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

    new_blocks = [d for d in blocks if target not in index.blocks.get(d, frozenset())]
    changes = IndexChanges()
    if minted or attach or new_blocks or reviews or verified != record.nhs_verified:
        changes = IndexChanges(
            records={
                target: PersonRecord(
                    record_id=target,
                    identifiers=record.identifiers | attach,
                    nhs_verified=verified,
                )
            },
            owners=dict.fromkeys(attach, target),
            blocks={d: index.blocks.get(d, frozenset()) | {target} for d in new_blocks},
            pending={r.child_ids: r.review_id for r in reviews},
            reviews={r.review_id: r.child_ids for r in reviews},
            tallies=tally_writes(
                index,
                children=1 if minted else 0,
                verified=1 if verified and not group_verified else 0,
            ),
        )
    resolution = Resolution(
        record_id=target,
        child_id=target_child,  # a sighting never changes which child a record belongs to
        rule=rule,
        minted=minted,
        notes=invalid_identifier_notes(sighting.identifiers),
        reviews=tuple(reviews),
    )
    return changes, resolution


def decide_changes(
    index: IndexView, decision: PersonsLinked | PersonsUnlinked
) -> tuple[IndexChanges, tuple[RecordRekeyed, ...]]:
    """A practitioner's link or unlink: the writes, and the records whose child id changes.

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
    pair = pair_of(a, b)
    before = {r: child_id_of(index, r) for r in members(index, a) | members(index, b)}
    edges: dict[str, frozenset[str] | None] = {}
    if isinstance(decision, PersonsLinked):
        edges[a] = index.edges.get(a, frozenset()) | {b}
        edges[b] = index.edges.get(b, frozenset()) | {a}
        distinct = {pair: False} if pair in index.distinct else {}
    else:
        if b not in index.edges.get(a, frozenset()) and before[a] == before[b]:
            raise IdentityDecisionRejected(f"{a} and {b} are joined only through other records")
        for x, y in ((a, b), (b, a)):
            if y in index.edges.get(x, frozenset()):
                edges[x] = (index.edges[x] - {y}) or None
        distinct = {pair: True}

    # Close the review this decision answers, and any other open review of the same pair.
    closed = {review for review in (index.pending.get(pair), decision.review_id) if review}
    pending: dict[Pair, str | None] = {}
    reviews: dict[str, Pair | None] = {}
    for review in closed:
        reviewed = index.reviews.get(review)
        if reviewed is not None:
            pending[reviewed] = None
            reviews[review] = None
    if pair in index.pending:
        pending[pair] = None

    after_edges: Mapping[str, frozenset[str]] = Overlay(index.edges, edges)
    after = {r: min(group_of(after_edges, r)) for r in before}
    verified_records = {r for r in before if index.records[r].nhs_verified}

    def verified_children(child_of: Mapping[str, str]) -> int:
        return len({child_of[r] for r in verified_records})

    changes = IndexChanges(
        edges=edges,
        distinct=distinct,
        pending=pending,
        reviews=reviews,
        tallies=tally_writes(
            index,
            children=len(set(after.values())) - len(set(before.values())),
            verified=verified_children(after) - verified_children(before),
        ),
    )
    rekeyed = tuple(
        RecordRekeyed(record_id=r, from_child_id=old, to_child_id=after[r])
        for r, old in sorted(before.items())
        if after[r] != old
    )
    return changes, rekeyed


def resolve(
    index: PersonIndex, sighting: PersonSighted, *, key: bytes
) -> tuple[PersonIndex, Resolution]:
    """Fold one sighting into the index; `key` is the secret for the keyed hashes."""
    changes, resolution = resolve_changes(index, sighting, key=key)
    return apply_changes(index, changes), resolution


def decide(
    index: PersonIndex, decision: PersonsLinked | PersonsUnlinked
) -> tuple[PersonIndex, tuple[RecordRekeyed, ...]]:
    """Fold a practitioner's link or unlink into the index (see `decide_changes`)."""
    changes, rekeyed = decide_changes(index, decision)
    return apply_changes(index, changes), rekeyed
