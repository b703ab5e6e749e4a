"""Events as JSON lines (one event per line, in the JSON form `codec.from_json` reads).

Pure: lines in, lines out. Problems name the line and the field, never a value.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from schemas import codec
from schemas.errors import InvalidRecord, UnknownEventType


def to_line(record: Mapping[str, Any]) -> str:
    """One event as a JSON line (no newline), keys in schema order, compact."""
    return json.dumps(codec.to_json(record), ensure_ascii=False, separators=(",", ":"))


def to_lines(records: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """Each event as a line ending in a newline."""
    for record in records:
        yield to_line(record) + "\n"


@dataclass(frozen=True, slots=True, kw_only=True)
class Line:
    """One line read: the record ready for `codec.encode`, or why it could not be read."""

    number: int  # 1-based
    record: dict[str, Any] | None
    problems: tuple[str, ...] = ()


def read_lines(lines: Iterable[str]) -> Iterator[Line]:
    """Parse JSON lines into records; blank lines are skipped, bad ones reported, none raise."""
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            # The message gives the column and what was expected, not the text itself.
            yield Line(number=number, record=None, problems=(f"bad JSON: {exc.msg}",))
            continue
        try:
            yield Line(number=number, record=codec.from_json(obj))
        except UnknownEventType:
            yield Line(number=number, record=None, problems=("event_type: unknown event type",))
        except InvalidRecord as exc:
            problems = tuple(f"{p.field or '(record)'}: {p.message}" for p in exc.problems)
            yield Line(number=number, record=None, problems=problems)
