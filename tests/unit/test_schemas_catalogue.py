"""The schema files and the catalogue built from them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastavro.schema import to_parsing_canonical_form

from schemas.catalogue import AVRO_DIR, catalogue, load_catalogue, schema_fingerprint
from schemas.expansion import named_types
from schemas.validation import PUBLISHING_RIGHTS
from tests.unit.event_samples import SAMPLE_EVENT_TYPES

ENVELOPE = [
    "event_id",
    "event_type",
    "occurred_at",
    "recorded_at",
    "source",
    "subjects",
    "lawful_basis",
]
CONTEXTS = {
    "IncidentRecorded": "police",
    "EncompassNotificationRequested": "police",
    "ReferralMade": "referrals",
    "ReferralOutcomeRecorded": "referrals",
    "ReferralAcknowledged": "referrals",
    "ReferralTriaged": "referrals",
    "PitstopContributionAdded": "referrals",
    "PitstopDecisionRecorded": "referrals",
    "ConcernRaised": "education",
    "PupilEnrolled": "education",
    "PupilLeft": "education",
    "VisitRecorded": "health",
    "PersonRegistered": "identity",
    "PersonsLinked": "identity",
    "PersonsUnlinked": "identity",
    "ConsentGiven": "earlyhelp",
    "ConsentWithdrawn": "earlyhelp",
    "EarlyHelpAssessmentStarted": "earlyhelp",
    "EarlyHelpAssessmentClosed": "earlyhelp",
    "ChildProtectionPlanStarted": "socialcare",
    "ChildProtectionPlanEnded": "socialcare",
    "LookedAfterStarted": "socialcare",
    "LookedAfterEnded": "socialcare",
    "SteppedUp": "socialcare",
    "SteppedDown": "socialcare",
    "EntryCorrected": "chronology",
    "EntryRetracted": "chronology",
    "EntryCurated": "chronology",
}
EVENT_TYPES = sorted(CONTEXTS)


def _raw_files() -> list[Path]:
    return sorted(AVRO_DIR.glob("*/*.avsc"))


def _all_fields(expanded: Any) -> list[dict[str, Any]]:
    return [f for t in named_types(expanded).values() for f in t.get("fields", [])]


def test_catalogue_holds_the_agreed_agency_event_types_in_their_contexts() -> None:
    cat = catalogue()
    # The agency events agreed with partners; the hub's own derived events come on top.
    assert set(EVENT_TYPES) <= set(cat.event_types)
    assert sorted(PUBLISHING_RIGHTS) == EVENT_TYPES
    for event_type, context in CONTEXTS.items():
        event = cat.get(event_type)
        assert event is not None
        assert event.context == context
    for event_type in cat.event_types:
        event = cat.get(event_type)
        assert event is not None
        assert event.fullname == f"hub.{event.context}.{event_type}"
    assert set(SAMPLE_EVENT_TYPES) >= set(EVENT_TYPES)


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_every_event_starts_with_the_same_envelope(event_type: str) -> None:
    reference = catalogue().get("IncidentRecorded")
    event = catalogue().get(event_type)
    assert reference is not None
    assert event is not None
    fields = event.current.expanded["fields"]
    assert [f["name"] for f in fields[: len(ENVELOPE)]] == ENVELOPE
    # Same types (shared types inlined identically) and the same docs, envelope for envelope.
    assert fields[: len(ENVELOPE)] == reference.current.expanded["fields"][: len(ENVELOPE)]
    assert fields[0]["type"] == {"type": "string", "logicalType": "uuid"}
    assert fields[2]["type"] == {"type": "long", "logicalType": "timestamp-micros"}
    assert fields[6]["default"] is None


@pytest.mark.parametrize("path", _raw_files(), ids=lambda p: p.stem)
def test_every_schema_file_documents_every_type_and_field(path: Path) -> None:
    raw = json.loads(path.read_text())
    assert raw["name"] == path.stem, "one named type per file, named like the file"
    for named in named_types(raw).values():
        assert named.get("doc"), f"{named['name']} has no doc"
        for symbol in named.get("symbols", []):
            assert re.fullmatch(r"[A-Z][A-Z0-9_]*", symbol), symbol
        for field in named.get("fields", []):
            assert field.get("doc"), f"{named['name']}.{field['name']} has no doc"
            assert re.fullmatch(r"[a-z][a-z0-9_]*", field["name"]), field["name"]


def test_nullable_fields_default_to_null_so_they_can_be_added_later() -> None:
    for event_type in EVENT_TYPES:
        event = catalogue().get(event_type)
        assert event is not None
        for field in _all_fields(event.current.expanded):
            if isinstance(field["type"], list) and field["type"][0] == "null":
                assert field.get("default", "missing") is None, (event_type, field["name"])


def test_a_shared_type_is_defined_once_then_referenced_by_full_name() -> None:
    event = catalogue().get("IncidentRecorded")
    assert event is not None
    text = json.dumps(event.current.expanded)
    assert text.count('"name": "hub.common.SubjectReference"') == 1
    subjects = next(f for f in event.current.expanded["fields"] if f["name"] == "subjects")
    assert subjects["type"]["items"]["name"] == "hub.common.SubjectReference"
    # The expansion is a standalone schema: its canonical form names no type it does not define.
    canonical = to_parsing_canonical_form(event.current.expanded)
    assert '"name":"hub.common.Source","type":"record"' in canonical


def _crc64_avro(data: bytes) -> int:
    # The Avro specification's reference algorithm, written out independently of fastavro.
    empty = 0xC15D213AA4D7A795
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (empty & -(fp & 1))
        table.append(fp)
    fp = empty
    for byte in data:
        fp = (fp >> 8) ^ table[(fp ^ byte) & 0xFF]
    return fp


def test_fingerprint_matches_the_spec_for_null() -> None:
    # The Avro project's published fingerprint of "null" is 7195948357588979594.
    assert int.from_bytes(schema_fingerprint("null"), "little") == 7195948357588979594


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_fingerprint_is_crc64_avro_of_the_canonical_form_little_endian(event_type: str) -> None:
    event = catalogue().get(event_type)
    assert event is not None
    canonical = to_parsing_canonical_form(event.current.expanded).encode()
    assert event.current.fingerprint == _crc64_avro(canonical).to_bytes(8, "little")


def test_lookup_by_fingerprint_finds_current_and_historical_writers() -> None:
    cat = catalogue()
    fingerprints = set()
    for event_type in EVENT_TYPES:
        event = cat.get(event_type)
        assert event is not None
        found = cat.by_fingerprint(event.current.fingerprint)
        assert found is not None
        assert found.event_type == event_type
        for version in event.history:
            writer = cat.by_fingerprint(version.fingerprint)
            assert writer is not None
            assert writer.event_type == event_type
        fingerprints.add(event.current.fingerprint)
    assert len(fingerprints) == len(EVENT_TYPES)
    assert cat.by_fingerprint(b"\x00" * 8) is None
    assert cat.get("NoSuchEvent") is None


def test_catalogue_is_loaded_once() -> None:
    assert catalogue() is catalogue()


def test_importing_the_codec_reads_no_schema_files() -> None:
    code = (
        "import schemas.codec, schemas.validation, schemas.catalogue as c; "
        "print(c.catalogue.cache_info().currsize)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "0"


def test_an_event_file_must_be_named_and_namespaced_like_its_folder(tmp_path: Path) -> None:
    avro = tmp_path / "avro"
    (avro / "common").mkdir(parents=True)
    for path in (AVRO_DIR / "common").glob("*.avsc"):
        (avro / "common" / path.name).write_text(path.read_text())
    raw = json.loads((AVRO_DIR / "police" / "IncidentRecorded.avsc").read_text())
    raw["namespace"] = "hub.education"
    (avro / "police").mkdir()
    (avro / "police" / "IncidentRecorded.avsc").write_text(json.dumps(raw))
    with pytest.raises(ValueError, match=r"namespace hub\.police"):
        load_catalogue(avro, tmp_path / "history", tmp_path / "ids.yaml")


def test_the_readme_table_of_ids_and_fingerprints_matches_the_catalogue() -> None:
    # Partners read schemas/README.md, not our code: it must not drift.
    readme = (AVRO_DIR.parent / "README.md").read_text()
    rows = re.findall(r"^\| (hub\.\w+\.(\w+)) \| (\d+) \| ([0-9a-f]{16}) \|", readme, re.M)
    assert sorted(row[1] for row in rows) == sorted(catalogue().event_types)
    for full, event_type, schema_id, fingerprint in rows:
        event = catalogue().get(event_type)
        assert event is not None
        assert event.fullname == full
        assert catalogue().registry_ids[int(schema_id)] == (event_type, 1)
        assert event.history[0].fingerprint_hex == fingerprint
