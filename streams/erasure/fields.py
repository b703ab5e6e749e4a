"""Which fields of an event are personal, under whose key, and sealing / revealing a record.

Scopes (docs/ERASURE.md):
- ``subjects[i]``'s identifiers: subject i's own key;
- ``own``: fields about the event's one child (the first CHILD / UNBORN_CHILD subject, else the
  first subject), e.g. PersonRegistered's names or an Encompass request's child's name;
- ``linked``: fields of ``children[j]`` (an incident's linked children), under the key of the
  subject ``children[j].subject_index``;
- ``shared``: free text about the whole event, under the composite of every child subject's key
  (every subject's when it names no child): erasing any of those children shreds it.

A subject's key id is a keyed hash of its first identifier (NHS number, UPN, LA child id, police
person reference); a subject with none has a key scoped to (event, subject index).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from streams.erasure import envelope
from streams.erasure.envelope import ERASED

# In this order: the first one a subject carries names its key.
IDENTIFIER_FIELDS: Final = ("nhs_number", "upn", "la_child_id", "police_person_ref")
CHILD_ROLES: Final = frozenset({"CHILD", "UNBORN_CHILD"})


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldPlan:
    """The personal fields of one event type, by scope (dotted paths into the record)."""

    own: tuple[str, ...] = ()
    linked: tuple[str, ...] = ()
    shared: tuple[str, ...] = ()


PLANS: Final[Mapping[str, FieldPlan]] = {
    "PersonRegistered": FieldPlan(
        own=(*IDENTIFIER_FIELDS, "given_name", "family_name", "postcode")
    ),
    "PupilEnrolled": FieldPlan(own=("upn",)),
    "PupilLeft": FieldPlan(own=("upn",)),
    "IncidentRecorded": FieldPlan(
        linked=("given_name", "family_name", "where_present", "voice_of_child"),
        shared=("circumstances", "location.address", "location.postcode", "withheld.reason"),
    ),
    "EncompassNotificationRequested": FieldPlan(
        own=(
            "child_given_name",
            "child_family_name",
            "where_present",
            "voice_of_child",
            "circumstances",
            "incident_location.address",
            "incident_location.postcode",
        )
    ),
    # A practitioner's reason for withholding may describe the family: sealed like the summary.
    "ConcernRaised": FieldPlan(shared=("summary", "action_taken", "withheld.reason")),
    "VisitRecorded": FieldPlan(shared=("summary", "withheld.reason")),
    "ReferralMade": FieldPlan(shared=("summary", "withheld.reason")),
    "ReferralOutcomeRecorded": FieldPlan(shared=("reason",)),
    "SteppedUp": FieldPlan(shared=("rationale",)),
    "SteppedDown": FieldPlan(shared=("rationale",)),
    "EarlyHelpAssessmentStarted": FieldPlan(shared=("reason",)),
    "EarlyHelpAssessmentClosed": FieldPlan(shared=("closure_summary",)),
    "ConsentWithdrawn": FieldPlan(shared=("reason",)),
    "EntryCorrected": FieldPlan(shared=("correction_summary",)),
    "EntryCurated": FieldPlan(shared=("reason",)),
}
NO_FIELDS: Final = FieldPlan()


def subject_key_id(subject: Mapping[str, Any], *, event_id: str, index: int, secret: bytes) -> str:
    """The key id of one subject: by its first identifier, else scoped to this event."""
    for kind in IDENTIFIER_FIELDS:
        value = subject.get(kind)
        if isinstance(value, str) and value and not envelope.is_sealed(value):
            return envelope.key_id(kind, value, secret=secret)
    return envelope.key_id("event-subject", f"{event_id}/{index}", secret=secret)


def _own_index(subjects: Sequence[Mapping[str, Any]]) -> int:
    for i, subject in enumerate(subjects):
        if subject.get("role") in CHILD_ROLES:
            return i
    return 0


def _shared_ids(subjects: Sequence[Mapping[str, Any]], ids: Sequence[str]) -> tuple[str, ...]:
    children = [ids[i] for i, s in enumerate(subjects) if s.get("role") in CHILD_ROLES]
    return tuple(sorted(set(children or ids)))


def _apply(node: dict[str, Any], path: str, change: Callable[[str], str]) -> None:
    *parents, leaf = path.split(".")
    for name in parents:
        child = node.get(name)
        if not isinstance(child, dict):
            return
        node = child
    value = node.get(leaf)
    if isinstance(value, str) and value and not envelope.is_sealed(value):
        node[leaf] = change(value)


@dataclass(frozen=True, slots=True, kw_only=True)
class SealingPlan:
    """What sealing one record needs: the key id of each field, and every key id involved."""

    subject_ids: tuple[str, ...]
    own_ids: tuple[str, ...]
    shared_ids: tuple[str, ...]

    @property
    def key_ids(self) -> frozenset[str]:
        return frozenset((*self.subject_ids, *self.own_ids, *self.shared_ids))


def plan_sealing(record: Mapping[str, Any], *, secret: bytes) -> SealingPlan:
    """The key ids a record's fields will be sealed under (computed from the plaintext)."""
    subjects = list(record.get("subjects") or [])
    event_id = str(record["event_id"])
    ids = tuple(
        subject_key_id(s, event_id=event_id, index=i, secret=secret) for i, s in enumerate(subjects)
    )
    if not ids:  # an event with no subject: its own key (validation forbids it; be total anyway)
        ids_for_event = (envelope.key_id("event", event_id, secret=secret),)
        return SealingPlan(subject_ids=(), own_ids=ids_for_event, shared_ids=ids_for_event)
    return SealingPlan(
        subject_ids=ids,
        own_ids=(ids[_own_index(subjects)],),
        shared_ids=_shared_ids(subjects, ids),
    )


Sealer = Callable[[str, Sequence[str]], str]


def _copy_for_sealing(record: Mapping[str, Any], fields: FieldPlan) -> dict[str, Any]:
    """A copy of `record` in which every container sealing writes into is new (a deep copy
    costs more than the encryption on the hot path; the rest is shared, never mutated)."""
    out = dict(record)
    out["subjects"] = [dict(s) for s in record.get("subjects") or []]
    if fields.linked and record.get("children"):
        out["children"] = [dict(c) for c in record["children"]]
    for path in (*fields.own, *fields.shared):
        if "." in path:
            parent = path.split(".", 1)[0]  # one level of nesting in the plans (location.*)
            if isinstance(out.get(parent), Mapping):
                out[parent] = dict(out[parent])
    return out


def seal_record(
    event_type: str, record: Mapping[str, Any], plan: SealingPlan, seal: Sealer
) -> dict[str, Any]:
    """A copy of `record` with its personal fields sealed; `seal(plaintext, key_ids)`."""
    fields = PLANS.get(event_type, NO_FIELDS)
    sealed = _copy_for_sealing(record, fields)

    def under(key_ids: tuple[str, ...]) -> Callable[[str], str]:
        return lambda text: seal(text, key_ids)

    for i, subject in enumerate(sealed.get("subjects") or []):
        for name in IDENTIFIER_FIELDS:
            _apply(subject, name, under((plan.subject_ids[i],)))
    for path in fields.own:
        _apply(sealed, path, under(plan.own_ids))
    for path in fields.shared:
        _apply(sealed, path, under(plan.shared_ids))
    for linked in sealed.get("children") or []:
        index = linked.get("subject_index")
        if not isinstance(index, int) or not 0 <= index < len(plan.subject_ids):
            continue  # validation rejects it before sealing; stay total
        for path in fields.linked:
            _apply(linked, path, under((plan.subject_ids[index],)))
    return sealed


def subject_key_ids(record: Mapping[str, Any]) -> dict[int, str]:
    """The key id each subject of a sealed record is under (subjects with no sealed identifier
    are absent)."""
    found: dict[int, str] = {}
    for i, subject in enumerate(record.get("subjects") or []):
        for name in IDENTIFIER_FIELDS:
            token = envelope.parse(subject.get(name) or "")
            if token is not None:
                found[i] = token.key_ids[0]
                break
    return found


def reveal_record(record: Mapping[str, Any], reveal: Callable[[str], str]) -> dict[str, Any]:
    """A copy of a sealed record with every token revealed by `reveal(text)`."""

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return reveal(value) if envelope.PREFIX in value else value
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    revealed: dict[str, Any] = walk(dict(record))
    return revealed


def for_identity(record: Mapping[str, Any]) -> dict[str, Any]:
    """A revealed record as the identity index should see it: erased identifiers and postcodes
    are absent (None), so erased children never match each other by a placeholder."""
    out = dict(record)
    out["subjects"] = [
        {k: (None if k in IDENTIFIER_FIELDS and v == ERASED else v) for k, v in s.items()}
        for s in record.get("subjects") or []
    ]
    for name in (*IDENTIFIER_FIELDS, "postcode"):
        if out.get(name) == ERASED:
            out[name] = None
    return out
