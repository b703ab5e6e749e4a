"""Schema evolution: BACKWARD_TRANSITIVE checks, the release step and reading old writers."""

from __future__ import annotations

import copy
import io
import json
import shutil
from pathlib import Path
from typing import Any

import fastavro
import pytest

import schemas.codec
from schemas.catalogue import AVRO_DIR, HISTORY_DIR, REGISTRY_IDS_FILE, catalogue, load_catalogue
from schemas.codec import SINGLE_OBJECT_MAGIC, Framing, decode, encode
from schemas.evolution import check_backward_transitive, incompatibilities, release
from tests.unit.event_samples import sample_event

EVENT_TYPES = list(catalogue().event_types)
# The example evolution: ReferralMade gains `priority`, as its next version.
NEXT = len(catalogue().get("ReferralMade").history) + 1  # type: ignore[union-attr]


def _current(event_type: str) -> dict[str, Any]:
    event = catalogue().get(event_type)
    assert event is not None
    return copy.deepcopy(dict(event.current.expanded))


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_every_schema_reads_all_of_its_released_versions(event_type: str) -> None:
    assert check_backward_transitive(event_type) == []


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_every_current_schema_is_released_with_a_registry_id(event_type: str) -> None:
    event = catalogue().get(event_type)
    assert event is not None
    assert event.released, "run: python -m schemas.evolution release " + event_type
    for version in event.history:
        assert version.version is not None
        assert catalogue().registry_id(event_type, version.version) is not None


def test_registry_ids_are_stable() -> None:
    # Ids are published to partners: these must never change meaning.
    ids = catalogue().registry_ids
    assert ids[1] == ("IncidentRecorded", 1)
    assert ids[2] == ("EncompassNotificationRequested", 1)
    assert ids[21] == ("EntryRetracted", 1)
    assert len(set(ids.values())) == len(ids)


def test_a_new_field_without_a_default_is_incompatible() -> None:
    reader = _current("ReferralMade")
    reader["fields"].append({"name": "priority", "type": "string", "doc": "New, no default."})
    problems = check_backward_transitive("ReferralMade", reader)
    assert problems
    assert "reader_field_missing_default_value" in problems[0]
    assert problems[0].startswith("v1:")


def test_a_new_field_with_a_default_is_compatible() -> None:
    reader = _current("ReferralMade")
    reader["fields"].append(
        {"name": "priority", "type": ["null", "string"], "doc": "New.", "default": None}
    )
    assert check_backward_transitive("ReferralMade", reader) == []


def test_removing_an_enum_symbol_is_incompatible() -> None:
    reader = _current("IncidentRecorded")
    risk = next(f for f in reader["fields"] if f["name"] == "risk_level")
    risk["type"]["symbols"] = ["STANDARD", "HIGH"]
    assert any(
        "missing_enum_symbols" in p for p in check_backward_transitive("IncidentRecorded", reader)
    )


def test_changing_a_field_type_is_incompatible() -> None:
    writer = _current("PupilEnrolled")
    reader = copy.deepcopy(writer)
    kind = next(f for f in reader["fields"] if f["name"] == "setting_kind")
    kind["type"] = "string"
    assert incompatibilities(reader, writer) != []


@pytest.fixture
def evolved(tmp_path: Path) -> Path:
    """A copy of the schemas folder where ReferralMade's next version adds `priority`."""
    avro, history, ids = tmp_path / "avro", tmp_path / "history", tmp_path / "registry_ids.yaml"
    shutil.copytree(AVRO_DIR, avro)
    shutil.copytree(HISTORY_DIR, history)
    shutil.copy(REGISTRY_IDS_FILE, ids)
    path = avro / "referrals" / "ReferralMade.avsc"
    raw = json.loads(path.read_text())
    raw["fields"].append(
        {"name": "priority", "type": ["null", "string"], "doc": "Urgency.", "default": None}
    )
    path.write_text(json.dumps(raw))
    return tmp_path


def _release(root: Path) -> Path | None:
    return release(
        "ReferralMade",
        avro_dir=root / "avro",
        history_dir=root / "history",
        registry_ids_file=root / "registry_ids.yaml",
    )


def test_release_writes_the_next_version_and_appends_an_id(evolved: Path) -> None:
    history, ids = evolved / "history", evolved / "registry_ids.yaml"
    before = load_catalogue(evolved / "avro", history, ids)
    next_id = max(before.registry_ids) + 1  # ids are append-only: max + 1
    written = _release(evolved)
    assert written == history / "ReferralMade" / f"v{NEXT}.avsc"
    assert ids.read_text().endswith(f"  {next_id}: {{event_type: ReferralMade, version: {NEXT}}}\n")
    cat = load_catalogue(evolved / "avro", history, ids)
    event = cat.get("ReferralMade")
    assert event is not None
    assert event.current.version == NEXT
    assert len(event.history) == NEXT
    assert cat.registry_id("ReferralMade", NEXT) == next_id
    # Releasing again is a no-op.
    assert _release(evolved) is None


def test_release_refuses_an_incompatible_change(evolved: Path) -> None:
    path = evolved / "avro" / "referrals" / "ReferralMade.avsc"
    raw = json.loads(path.read_text())
    raw["fields"][-1] = {"name": "priority", "type": "string", "doc": "No default."}
    path.write_text(json.dumps(raw))
    with pytest.raises(ValueError, match="not backward compatible"):
        _release(evolved)
    assert not (evolved / "history" / "ReferralMade" / f"v{NEXT}.avsc").exists()


def test_a_v1_payload_decodes_into_the_v2_shape(
    evolved: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    v1_bytes = encode("ReferralMade", sample_event("ReferralMade"))
    v1_confluent = encode("ReferralMade", sample_event("ReferralMade"), framing=Framing.CONFLUENT)
    history, ids = evolved / "history", evolved / "registry_ids.yaml"
    _release(evolved)
    evolved_catalogue = load_catalogue(evolved / "avro", history, ids)
    monkeypatch.setattr(schemas.codec, "catalogue", lambda: evolved_catalogue)

    for payload in (v1_bytes, v1_confluent):
        event_type, record = decode(payload)
        assert event_type == "ReferralMade"
        assert record == {**sample_event("ReferralMade"), "priority": None}

    v2_bytes = encode("ReferralMade", {**sample_event("ReferralMade"), "priority": "urgent"})
    event = evolved_catalogue.get("ReferralMade")
    assert event is not None
    assert v2_bytes[:10] == SINGLE_OBJECT_MAGIC + event.current.fingerprint
    assert v2_bytes[:10] != v1_bytes[:10]
    assert decode(v2_bytes).record["priority"] == "urgent"
    # The v2 body really is the v1 body plus the new field (a union branch and a string).
    body = io.BytesIO(v2_bytes[10:])
    read = fastavro.schemaless_reader(body, event.current.parsed)
    assert isinstance(read, dict)
    assert read["priority"] == "urgent"
