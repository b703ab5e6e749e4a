"""The current time for stream processors, injectable so tests can move it.

Domain code never reads the clock: agents and timers take `now` from a Clock. The real one is
UTC now. `OffsetClock` adds an offset read at every call from ``HUB_CLOCK_OFFSET_SECONDS`` or,
so a test can move a running worker in another process, from the file
``<HUB_STATE_DIR>/clock_offset_seconds`` (a decimal number of seconds, may be negative).
The file wins over the variable; a missing or empty file means no offset from it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final, Protocol

OFFSET_ENV: Final = "HUB_CLOCK_OFFSET_SECONDS"
OFFSET_FILE: Final = "clock_offset_seconds"


class Clock(Protocol):
    """Something that says what time it is (aware UTC)."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that says what it is told (unit tests)."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


class OffsetClock:
    """UTC now plus an offset, re-read at each call (a file beats the environment)."""

    def __init__(self, *, offset_file: Path | None, environ: Mapping[str, str] | None = None):
        self.offset_file = offset_file
        self.environ = os.environ if environ is None else environ

    def offset(self) -> timedelta:
        """The offset now in force (zero when nothing sets one)."""
        text = ""
        if self.offset_file is not None:
            try:
                text = self.offset_file.read_text(encoding="utf-8").strip()
            except FileNotFoundError:
                text = ""
        if not text:
            text = self.environ.get(OFFSET_ENV, "").strip()
        return timedelta(seconds=float(text)) if text else timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset()


def offset_file(state_dir: Path) -> Path:
    """Where a worker whose state lives in `state_dir` reads its clock offset."""
    return state_dir / OFFSET_FILE


def set_offset(state_dir: Path, offset: timedelta | None) -> None:
    """Move the clocks of the workers sharing `state_dir` (None: back to real time)."""
    path = offset_file(state_dir)
    if offset is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f"{offset.total_seconds()}\n", encoding="utf-8")
    tmp.replace(path)  # atomic: a tick never reads half a number
