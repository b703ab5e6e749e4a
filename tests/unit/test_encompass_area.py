"""The Encompass area file: loader, errors, the synthetic demo area; and the injectable clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from streams.clock import OFFSET_ENV, OffsetClock, offset_file, set_offset
from streams.encompass.area import (
    EXAMPLE_AREA,
    AreaFileError,
    load_area,
    synthetic_area_document,
    write_synthetic_area,
)
from streams.encompass.calendar import deadline_for
from streams.encompass.model import SettingKind
from streams.simulation import generate

MINIMAL = """
local_authority: {code: "999", name: Test}
coordinator: {service_id: coord, name: Coordinator}
settings:
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "area.yaml"
    path.write_text(text)
    return path


def test_the_shipped_example_loads_with_its_settings_and_calendars() -> None:
    area = load_area(EXAMPLE_AREA)
    assert area.code == "999"
    assert area.config.early_years_extension
    assert area.config.settings["999003"].key_adult is None
    assert area.config.settings["EY999004"].kind is SettingKind.EARLY_YEARS
    assert area.calendar_for("999001").session_start == time(8, 45)
    # the school's INSET day (Friday 13 November 2026) comes from the term dates file
    thursday_evening = datetime(2026, 11, 12, 20, 0, tzinfo=UTC)
    assert deadline_for(thursday_evening, area.calendar_for("999001")).date() == date(2026, 11, 16)
    assert deadline_for(thursday_evening, area.calendar_for(None)).date() == date(2026, 11, 13)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('- {urn: "1", name: A}', "missing key_adult"),
        ('- {urn: "1", name: A, kind: castle, key_adult: X}', "kind must be one of"),
        ("- {urn: '1', name: A, key_adult: X, session_start: 8:30}", "quoted"),
        ('- {urn: "1", name: A, key_adult: X, session_start: "half eight"}', "not HH:MM"),
        ('- {urn: "1", name: A, key_adult: X}\n- {urn: "1", name: B, key_adult: Y}', "twice"),
    ],
)
def test_a_bad_setting_is_refused_naming_the_file_and_entry(
    tmp_path: Path, entry: str, message: str
) -> None:
    path = _write(tmp_path, MINIMAL + entry + "\n")
    with pytest.raises(AreaFileError, match=message) as caught:
        load_area(path)
    assert str(path) in str(caught.value)


def test_missing_services_and_shapes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(AreaFileError, match="local_authority"):
        load_area(_write(tmp_path, "coordinator: {service_id: c, name: C}\n"))
    with pytest.raises(AreaFileError, match="coordinator: missing name"):
        load_area(
            _write(
                tmp_path, 'local_authority: {code: "9", name: T}\ncoordinator: {service_id: c}\n'
            )
        )
    with pytest.raises(AreaFileError, match="health visiting"):
        load_area(_write(tmp_path, MINIMAL.replace("settings:", "early_years_extension: true")))
    with pytest.raises(AreaFileError, match="mapping"):
        load_area(_write(tmp_path, "- just a list\n"))
    with pytest.raises(AreaFileError):
        load_area(_write(tmp_path, MINIMAL.replace("settings:", "term_dates: nowhere.yaml")))


def test_the_synthetic_area_covers_every_simulated_school_and_leaves_two_without_a_key_adult(
    tmp_path: Path,
) -> None:
    manifest = generate(5, children=60, schools=5, days=2, start=date(2026, 11, 9)).manifest
    area = write_synthetic_area(manifest.schools, tmp_path / "area.yaml", seed=5)
    assert set(area.config.settings) == {s["urn"] for s in manifest.schools}
    lacking = [s for s in area.config.settings.values() if s.key_adult is None]
    assert len(lacking) == 2
    assert all(s.kind is SettingKind.SCHOOL for s in lacking)
    assert synthetic_area_document(manifest.schools, seed=5) == synthetic_area_document(
        manifest.schools, seed=5
    )


def test_the_offset_clock_reads_the_file_then_the_environment_at_every_call(
    tmp_path: Path,
) -> None:
    clock = OffsetClock(offset_file=offset_file(tmp_path), environ={OFFSET_ENV: "3600"})
    assert clock.offset() == timedelta(hours=1)
    set_offset(tmp_path, timedelta(days=-2))
    assert clock.offset() == timedelta(days=-2)
    before = datetime.now(UTC)
    assert clock.now() < before - timedelta(days=1)
    set_offset(tmp_path, None)
    assert clock.offset() == timedelta(hours=1)
