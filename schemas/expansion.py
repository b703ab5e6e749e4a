"""Fully expanded Avro schemas: shared named types inlined so that one schema stands alone.

Why not fastavro's ``named_schemas``: a schema parsed that way keeps shared types as bare
names, and ``to_parsing_canonical_form`` then fingerprints the *reference* rather than the
type, so the fingerprint would not match the Avro specification (nor other libraries), and
the avro package's compatibility checker cannot parse it at all. Expanding once, here,
gives one JSON document per schema that fastavro, the avro package and the history files
all share.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
NAMED_KINDS = frozenset({"record", "error", "enum", "fixed"})


class SchemaDefinitionError(ValueError):
    """A schema file is not a valid, resolvable Avro schema."""


def fullname(name: str, namespace: str | None) -> str:
    """The Avro full name: a dotted name stands as it is, otherwise it joins the namespace."""
    if "." in name or not namespace:
        return name
    return f"{namespace}.{name}"


def namespace_of(full: str) -> str:
    """The namespace part of a full name ('' when it has none)."""
    return full.rpartition(".")[0]


def expand(schema: Any, shared: Mapping[str, Any]) -> Any:
    """Return ``schema`` with every reference to a ``shared`` named type inlined once.

    Named types get their full name (and lose ``namespace``); the first occurrence of a type
    is its definition and later occurrences are references by full name, as the spec requires.
    """
    seen: set[str] = set()

    def walk(node: Any, namespace: str) -> Any:
        if isinstance(node, str):
            if node in PRIMITIVES:
                return node
            full = fullname(node, namespace)
            if full in seen:
                return full
            if full not in shared:
                raise SchemaDefinitionError(f"unknown named type {full}")
            return walk(shared[full], namespace_of(full))
        if isinstance(node, list):
            return [walk(branch, namespace) for branch in node]
        if not isinstance(node, dict) or "type" not in node:
            raise SchemaDefinitionError("a schema is a name, a union or an object with a type")
        kind = node["type"]
        if kind in NAMED_KINDS:
            full = fullname(node["name"], node.get("namespace", namespace))
            if full in seen:
                raise SchemaDefinitionError(f"named type {full} is defined twice")
            seen.add(full)
            out = {k: (full if k == "name" else v) for k, v in node.items() if k != "namespace"}
            if kind in ("record", "error"):
                inner = namespace_of(full)
                out["fields"] = [
                    {**field, "type": walk(field["type"], inner)} for field in node["fields"]
                ]
            return out
        if kind == "array":
            return {**node, "items": walk(node["items"], namespace)}
        if kind == "map":
            return {**node, "values": walk(node["values"], namespace)}
        if isinstance(kind, str) and kind in PRIMITIVES:
            return dict(node)
        # {"type": <a schema>} is the same as that schema.
        return walk(kind, namespace)

    return walk(schema, "")


def named_types(expanded: Any) -> dict[str, dict[str, Any]]:
    """Every named type defined in an expanded schema, by full name."""
    found: dict[str, dict[str, Any]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for branch in node:
                walk(branch)
        elif isinstance(node, dict):
            kind = node.get("type")
            if kind in NAMED_KINDS:
                found[node["name"]] = node
                for field in node.get("fields", []):
                    walk(field["type"])
            elif kind == "array":
                walk(node["items"])
            elif kind == "map":
                walk(node["values"])

    walk(expanded)
    return found
