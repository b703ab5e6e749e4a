"""The keyring: keys are created once and cached; erased keys read as [erased] after the TTL;
records are sealed per subject and revealed again; a shared narrative needs every child's key."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from schemas import codec
from streams.erasure import envelope, fields
from streams.erasure.envelope import ERASED
from streams.erasure.keyring import Keyring
from streams.erasure.sealing import reveal_event, reveal_for_identity, seal_event
from tests.unit.erasure_fakes import ID_SECRET, FakeClock, MemoryKeyStore, keyring
from tests.unit.event_samples import CHILD_NHS, CHILD_UPN, SIBLING_NHS, sample_event

PLAINTEXTS = (CHILD_NHS, CHILD_UPN, SIBLING_NHS, "PP-100234", "12 Example Street")


def seal(
    event_type: str, record: dict[str, Any], *, keyring: Keyring, secret: bytes
) -> dict[str, Any]:
    sealed, _key = seal_event(event_type, record, keyring=keyring, secret=secret)
    return sealed


def _text(record: dict[str, Any]) -> str:
    return json.dumps(codec.to_json(record)) if "event_type" in record else json.dumps(record)


@pytest.mark.parametrize("event_type", sorted(fields.PLANS))
def test_every_planned_event_seals_its_personal_fields_and_reveals_back(event_type: str) -> None:
    ring = keyring()
    record = sample_event(event_type)
    sealed = seal(event_type, record, keyring=ring, secret=ID_SECRET)
    # Still a valid record of its schema (tokens are strings), and no identifier in clear.
    encoded = codec.encode(event_type, sealed)
    for plaintext in PLAINTEXTS:
        assert plaintext.encode() not in encoded, plaintext
    assert reveal_event(codec.decode(encoded).record, keyring=ring) == record


def test_the_incident_narrative_is_under_both_children_and_names_under_each_child() -> None:
    store = MemoryKeyStore()
    ring = keyring(store)
    record = sample_event("IncidentRecorded")
    sealed = seal("IncidentRecorded", record, keyring=ring, secret=ID_SECRET)
    by_subject = fields.subject_key_ids(sealed)
    children = [i for i, s in enumerate(record["subjects"]) if s["role"] == "CHILD"]
    assert len(children) == 2
    narrative = envelope.parse(sealed["circumstances"])
    assert narrative is not None
    assert set(narrative.key_ids) == {by_subject[i] for i in children}
    first = sealed["children"][0]
    name = envelope.parse(first["given_name"])
    assert name is not None
    assert name.key_ids == (by_subject[first["subject_index"]],)

    # Erase the first child: its name and the shared narrative go, the sibling's name stays.
    store.erase([by_subject[first["subject_index"]]])
    ring.forget(store.rows)
    revealed = reveal_event(sealed, keyring=ring)
    assert revealed["circumstances"] == ERASED
    assert revealed["children"][0]["given_name"] == ERASED
    assert revealed["children"][1]["given_name"] == record["children"][1]["given_name"]
    assert revealed["subjects"][children[1]] == record["subjects"][children[1]]


def test_keys_are_created_once_and_served_from_the_cache() -> None:
    store = MemoryKeyStore()
    ring = keyring(store)
    record = sample_event("ConcernRaised")
    one = seal("ConcernRaised", record, keyring=ring, secret=ID_SECRET)
    creates, fetches = store.creates, store.fetches
    again = seal("ConcernRaised", record, keyring=ring, secret=ID_SECRET)
    assert one == again, "a redelivery seals to the same bytes"
    assert (store.creates, store.fetches) == (creates, fetches), "no store round trip"
    # Another keyring (another process) finds the same keys in the store, creates none.
    other = keyring(store)
    assert seal("ConcernRaised", record, keyring=other, secret=ID_SECRET) == one
    assert store.creates == creates


def test_an_erased_key_reads_as_erased_once_the_cache_expires() -> None:
    store, clock = MemoryKeyStore(), FakeClock()
    ring = keyring(store, clock, ttl_s=60)
    record = sample_event("VisitRecorded")
    sealed = seal("VisitRecorded", record, keyring=ring, secret=ID_SECRET)
    assert reveal_event(sealed, keyring=ring) == record
    store.erase(list(store.rows))
    assert reveal_event(sealed, keyring=ring) == record, "within the TTL the cache still serves"
    clock.now += 61
    revealed = reveal_event(sealed, keyring=ring)
    assert revealed["summary"] == ERASED
    assert revealed["subjects"][0]["nhs_number"] == ERASED


def test_a_new_event_about_an_erased_identity_is_written_erased() -> None:
    store = MemoryKeyStore()
    ring = keyring(store)
    record = sample_event("VisitRecorded")
    seal("VisitRecorded", record, keyring=ring, secret=ID_SECRET)
    store.erase(list(store.rows))
    fresh = keyring(store)
    sealed = seal("VisitRecorded", record, keyring=fresh, secret=ID_SECRET)
    assert sealed["summary"] == ERASED
    assert sealed["subjects"][0]["nhs_number"] == ERASED
    assert all(v is None for v in store.rows.values()), "no erased id is given a new key"


def test_identity_sees_erased_identifiers_as_absent() -> None:
    store = MemoryKeyStore()
    ring = keyring(store)
    record = sample_event("PersonRegistered")
    sealed = seal("PersonRegistered", record, keyring=ring, secret=ID_SECRET)
    assert reveal_for_identity(sealed, keyring=ring) == record
    store.erase(list(store.rows))
    ring.forget(list(store.rows))
    seen = reveal_for_identity(sealed, keyring=ring)
    assert seen["nhs_number"] is None
    assert seen["subjects"][0]["nhs_number"] is None
    assert seen["given_name"] == ERASED
    assert seen["date_of_birth"] == record["date_of_birth"]


def test_tokens_inside_text_and_json_are_revealed() -> None:
    ring = keyring()
    sealed = seal("ConcernRaised", sample_event("ConcernRaised"), keyring=ring, secret=ID_SECRET)
    summary = f"Concern (neglect): {sealed['summary']}"
    plain = sample_event("ConcernRaised")["summary"]
    assert ring.reveal_text(summary) == f"Concern (neglect): {plain}"
    assert ring.reveal({"a": [summary], "n": 3}) == {"a": [f"Concern (neglect): {plain}"], "n": 3}
    broken = sealed["summary"][:-6]
    assert ring.reveal_text(broken) == ERASED, "a shortened token never shows ciphertext"


def test_a_token_repeated_in_one_answer_is_opened_once_and_not_remembered_after_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store, clock = MemoryKeyStore(), FakeClock()
    ring = keyring(store, clock, ttl_s=60)
    sealed = seal("ConcernRaised", sample_event("ConcernRaised"), keyring=ring, secret=ID_SECRET)
    plain = sample_event("ConcernRaised")["summary"]
    opened: list[envelope.Token] = []
    real_open = envelope.open_sealed

    def counting(token: envelope.Token, *, key: bytes) -> str:
        opened.append(token)
        return real_open(token, key=key)

    monkeypatch.setattr(envelope, "open_sealed", counting)
    rows = [{"summary": f"Entry {i}: {sealed['summary']}", "n": i} for i in range(50)]
    assert ring.reveal(rows) == [{"summary": f"Entry {i}: {plain}", "n": i} for i in range(50)]
    assert len(opened) == 1, "sealing is deterministic: one name, one token, one decryption"
    # The memo lasts one call: once the key is erased and the cache expires, the next answer
    # shows the field erased, however recently it was read.
    store.erase(list(store.rows))
    clock.now += 61
    assert ring.reveal(rows[:1]) == [{"summary": f"Entry 0: {ERASED}", "n": 0}]


def test_sealing_leaves_the_input_untouched_and_seals_the_publishers_key() -> None:
    ring = keyring()
    record = sample_event("IncidentRecorded")
    before = copy.deepcopy(record)
    sealed, key = seal_event(
        "IncidentRecorded", record, keyring=ring, secret=ID_SECRET, source_key=b"PP-100234"
    )
    assert record == before, "the screened record is not mutated"
    assert key is not None
    assert b"PP-100234" not in key
    assert ring.reveal_text(key.decode()) == "PP-100234"
    assert sealed["location"] is not record["location"]
