"""Projections that want few event types skip the rest from the framing, undecoded: the rows
must be exactly those of decoding every record (no broker, no database)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import pytest

from projections.child_status import mapping as child_status
from projections.model import SkipRecord, SourceRecord, peeked_event_type
from projections.referrals import mapping as referrals
from projections.reporting import mapping as reporting
from schemas import codec
from schemas.topics import ACCEPTED, ENCOMPASS
from tests.unit.event_samples import SAMPLE_EVENT_TYPES, sample_event
from tests.unit.test_encompass_alerts_projection import _issued


def _records() -> list[SourceRecord]:
    accepted = [
        SourceRecord(
            topic=ACCEPTED, partition=0, offset=0, key=b"k", value=codec.encode(t, sample_event(t))
        )
        for t in SAMPLE_EVENT_TYPES
    ]
    hub_made = [
        SourceRecord(topic=ENCOMPASS, partition=0, offset=0, key=b"k", value=codec.encode(t, r))
        for t, r in _issued()
    ]
    return accepted + hub_made


@pytest.mark.parametrize(
    "module", [child_status, reporting, referrals], ids=["child_status", "reporting", "referrals"]
)
def test_skipping_from_the_framing_gives_the_rows_decoding_gives(
    module: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows: Callable[[SourceRecord], Sequence[Any]] = module.rows
    records = _records()
    peeked = [rows(r) for r in records]
    monkeypatch.setattr(module, "framed_outside", lambda _record, _wanted: False)  # decode all
    decoded = [rows(r) for r in records]
    assert peeked == decoded
    assert any(decoded), "some sample is projected, so the comparison means something"
    assert not all(decoded), "and some is skipped"


def test_the_framing_names_the_type_and_says_nothing_of_bytes_it_cannot_read() -> None:
    value = codec.encode("IncidentRecorded", sample_event("IncidentRecorded"))
    record = SourceRecord(topic=ACCEPTED, partition=0, offset=0, key=b"k", value=value)
    assert peeked_event_type(record) == "IncidentRecorded"
    for bad in (None, b"", b"\xc3\x01" + b"\x00" * 8 + b"body", b"not avro"):
        broken = SourceRecord(topic=ACCEPTED, partition=0, offset=0, key=b"k", value=bad)
        assert peeked_event_type(broken) is None
        with pytest.raises(SkipRecord):  # decoding then says why, as before
            child_status.rows(broken)
