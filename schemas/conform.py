"""Walk a value against an expanded Avro schema, collecting field-level problems.

Two modes share one walk: ``from_json`` converts what JSON can carry (ISO-8601 strings for
timestamps and dates, strings for UUIDs) into the Python values fastavro writes; otherwise
the value is checked as Python (aware datetimes, dates, UUIDs). Messages name the field and
the expected shape, never the value found: values are personal data.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from schemas.errors import FieldProblem
from schemas.expansion import named_types

_INT_RANGE = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}


class _Walk:
    def __init__(self, names: Mapping[str, Any], *, from_json: bool) -> None:
        self.names = names
        self.from_json = from_json
        self.problems: list[FieldProblem] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(FieldProblem(path, message))

    def value(self, schema: Any, value: Any, path: str) -> Any:
        if isinstance(schema, str):
            schema = self.names.get(schema, schema)
        if isinstance(schema, list):
            return self.union(schema, value, path)
        kind = schema["type"] if isinstance(schema, dict) else schema
        logical = schema.get("logicalType") if isinstance(schema, dict) else None
        if logical is not None:
            return self.logical(logical, value, path)
        if kind in ("record", "error"):
            return self.record(schema, value, path)
        if kind == "enum":
            if not isinstance(value, str) or value not in schema["symbols"]:
                self.fail(path, f"expected one of {', '.join(schema['symbols'])}")
            return value
        if kind == "array":
            if not isinstance(value, list):
                self.fail(path, "expected an array")
                return value
            return [self.value(schema["items"], v, f"{path}[{i}]") for i, v in enumerate(value)]
        if kind == "map":
            if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
                self.fail(path, "expected an object")
                return value
            return {k: self.value(schema["values"], v, f"{path}.{k}") for k, v in value.items()}
        return self.primitive(kind, value, path)

    def union(self, branches: list[Any], value: Any, path: str) -> Any:
        if value is None and "null" in branches:
            return None
        others = [b for b in branches if b != "null"]
        if len(others) == 1:
            # The common ["null", X]: X's own messages are the right ones.
            return self.value(others[0], value, path)
        first_problems: list[FieldProblem] = []
        for branch in others:
            outer, self.problems = self.problems, []
            converted = self.value(branch, value, path)
            tried, self.problems = self.problems, outer
            if not tried:
                return converted
            first_problems = first_problems or tried
        self.problems += first_problems or [FieldProblem(path, "expected null")]
        return value

    def record(self, schema: Mapping[str, Any], value: Any, path: str) -> Any:
        if not isinstance(value, Mapping):
            self.fail(path, "expected an object")
            return value
        prefix = f"{path}." if path else ""
        out: dict[str, Any] = {}
        for field in schema["fields"]:
            name = field["name"]
            if name in value:
                out[name] = self.value(field["type"], value[name], prefix + name)
            elif "default" in field:
                out[name] = copy.deepcopy(field["default"])
            else:
                self.fail(prefix + name, "is required")
        known = {f["name"] for f in schema["fields"]}
        for extra in sorted(str(k) for k in value if k not in known):
            self.fail(prefix + extra, "is not a field of this event")
        return out

    def logical(self, logical: str, value: Any, path: str) -> Any:
        if logical in ("timestamp-micros", "timestamp-millis"):
            return self.timestamp(value, path)
        if logical == "date":
            if self.from_json and isinstance(value, str):
                try:
                    return date.fromisoformat(value)
                except ValueError:
                    pass
            elif not self.from_json and isinstance(value, date) and not isinstance(value, datetime):
                return value
            self.fail(path, "expected a date (YYYY-MM-DD)")
            return value
        if logical == "uuid":
            if isinstance(value, uuid.UUID) and not self.from_json:
                return value
            if isinstance(value, str):
                try:
                    return uuid.UUID(value)
                except ValueError:
                    pass
            self.fail(path, "expected a UUID")
            return value
        raise ValueError(f"logical type {logical} is not supported")

    def timestamp(self, value: Any, path: str) -> Any:
        moment: Any = value
        if self.from_json:
            try:
                moment = datetime.fromisoformat(value) if isinstance(value, str) else None
            except ValueError:
                moment = None
        if not isinstance(moment, datetime):
            self.fail(path, "expected an ISO-8601 date and time with a UTC offset")
            return value
        if moment.utcoffset() is None:
            self.fail(path, "expected a date and time with a UTC offset (timezone-aware)")
            return value
        return moment.astimezone(UTC)

    def primitive(self, kind: str, value: Any, path: str) -> Any:
        if kind == "null":
            ok = value is None
        elif kind == "boolean":
            ok = isinstance(value, bool)
        elif kind in _INT_RANGE:
            low, high = _INT_RANGE[kind]
            ok = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
        elif kind in ("float", "double"):
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        elif kind == "string":
            ok = isinstance(value, str)
        elif kind == "bytes":
            ok = isinstance(value, bytes) and not self.from_json
        else:
            raise ValueError(f"schema type {kind} is not supported")
        if not ok:
            self.fail(path, _EXPECTED[kind])
        return value


_EXPECTED = {
    "null": "expected null",
    "boolean": "expected true or false",
    "int": "expected a whole number (32-bit)",
    "long": "expected a whole number (64-bit)",
    "float": "expected a number",
    "double": "expected a number",
    "string": "expected a string",
    "bytes": "expected bytes",
}


def conform(
    schema: Any, value: Any, *, from_json: bool, names: Mapping[str, Any] | None = None
) -> tuple[Any, list[FieldProblem]]:
    """The value as fastavro should write it, and the problems found (empty when it fits).

    ``names`` (the schema's named types) saves finding them again on every call.
    """
    walk = _Walk(named_types(schema) if names is None else names, from_json=from_json)
    converted = walk.value(schema, value, "")
    return converted, walk.problems
