"""The schema catalogue: every event schema, its released history, fingerprints and registry ids.

Layout (all read on first use, never at import):
- ``schemas/avro/common/*.avsc``: shared named types (``hub.common.*``);
- ``schemas/avro/<context>/<EventName>.avsc``: one event record per file, the current version;
- ``schemas/history/<EventName>/v<N>.avsc``: every released version, fully expanded;
- ``schemas/registry_ids.yaml``: Confluent schema id -> (event type, released version).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import fastavro
import yaml
from fastavro.schema import fingerprint as _fingerprint
from fastavro.schema import to_parsing_canonical_form

from schemas.expansion import SchemaDefinitionError, expand, fullname, named_types

SCHEMAS_DIR = Path(__file__).resolve().parent
AVRO_DIR = SCHEMAS_DIR / "avro"
HISTORY_DIR = SCHEMAS_DIR / "history"
REGISTRY_IDS_FILE = SCHEMAS_DIR / "registry_ids.yaml"
COMMON_CONTEXT = "common"

_VERSION_FILE = re.compile(r"^v([1-9][0-9]*)\.avsc$")


class CatalogueError(ValueError):
    """The schemas folder is inconsistent (bad schema, clashing fingerprint, dangling id)."""


def schema_fingerprint(expanded: Any) -> bytes:
    """CRC-64-AVRO of the parsing canonical form, as the 8 little-endian bytes on the wire.

    Computed with fastavro only: the avro package canonicalises logical types differently.
    """
    return bytes.fromhex(_fingerprint(to_parsing_canonical_form(expanded), "CRC-64-AVRO"))


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SchemaVersion:
    """One version of one event schema: the JSON, fastavro's parsed form and the fingerprint."""

    event_type: str
    version: int | None  # None: the current schema differs from every released version
    expanded: dict[str, Any]  # plain JSON, every shared type inlined
    parsed: Any
    fingerprint: bytes
    names: Mapping[str, Any]  # named types in ``expanded``, by full name

    @property
    def fingerprint_hex(self) -> str:
        """The fingerprint as hex, in wire (little-endian) byte order."""
        return self.fingerprint.hex()


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class EventSchema:
    """An event type: its context folder, full Avro name, current schema and released history."""

    event_type: str
    context: str
    fullname: str
    current: SchemaVersion
    history: tuple[SchemaVersion, ...]  # v1, v2, ... in order

    @property
    def released(self) -> bool:
        """True when the current schema is one of the released versions."""
        return self.current.version is not None


class Catalogue:
    """Lookups by event type, by fingerprint (current and historical writers) and by schema id."""

    def __init__(
        self, events: Mapping[str, EventSchema], registry_ids: Mapping[int, tuple[str, int]]
    ) -> None:
        self._events = dict(events)
        self._by_fingerprint: dict[bytes, SchemaVersion] = {}
        for event in self._events.values():
            for version in (*event.history, event.current):
                known = self._by_fingerprint.setdefault(version.fingerprint, version)
                if known.event_type != version.event_type:
                    raise CatalogueError(
                        f"{known.event_type} and {version.event_type} share a fingerprint"
                    )
        self._by_id: dict[int, SchemaVersion] = {}
        self._id_of: dict[tuple[str, int], int] = {}
        for schema_id, (event_type, number) in registry_ids.items():
            owner = self._events.get(event_type)
            if owner is None or not 1 <= number <= len(owner.history):
                raise CatalogueError(f"registry id {schema_id} names no released schema")
            if (event_type, number) in self._id_of:
                raise CatalogueError(f"{event_type} v{number} has two registry ids")
            self._by_id[schema_id] = owner.history[number - 1]
            self._id_of[(event_type, number)] = schema_id

    @property
    def event_types(self) -> tuple[str, ...]:
        """Every event type, sorted."""
        return tuple(sorted(self._events))

    def get(self, event_type: str) -> EventSchema | None:
        """The event schema for an event type, or None."""
        return self._events.get(event_type)

    def by_fingerprint(self, fingerprint: bytes) -> SchemaVersion | None:
        """The writer schema with this fingerprint (current or historical), or None."""
        return self._by_fingerprint.get(fingerprint)

    def by_registry_id(self, schema_id: int) -> SchemaVersion | None:
        """The released writer schema with this Confluent schema id, or None."""
        return self._by_id.get(schema_id)

    def registry_id(self, event_type: str, version: int) -> int | None:
        """The Confluent schema id of a released version, or None."""
        return self._id_of.get((event_type, version))

    @property
    def registry_ids(self) -> Mapping[int, tuple[str, int]]:
        """Every schema id -> (event type, version)."""
        return {i: (v.event_type, v.version or 0) for i, v in self._by_id.items()}


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CatalogueError(f"{path}: not readable JSON ({exc})") from exc


def _version(event_type: str, number: int | None, expanded: Any) -> SchemaVersion:
    try:
        parsed = fastavro.parse_schema(expanded, named_schemas={})
    except Exception as exc:  # fastavro raises several types for a bad schema
        raise CatalogueError(f"{event_type}: invalid schema ({exc})") from exc
    return SchemaVersion(
        event_type=event_type,
        version=number,
        expanded=expanded,
        parsed=parsed,
        fingerprint=schema_fingerprint(expanded),
        names=named_types(expanded),
    )


def load_shared_types(avro_dir: Path = AVRO_DIR) -> dict[str, Any]:
    """The raw shared named types under ``common/``, by full name."""
    shared: dict[str, Any] = {}
    for path in sorted((avro_dir / COMMON_CONTEXT).glob("*.avsc")):
        raw = _read_json(path)
        shared[fullname(raw["name"], raw.get("namespace"))] = raw
    return shared


def load_history(event_type: str, history_dir: Path = HISTORY_DIR) -> list[SchemaVersion]:
    """The released versions of one event type, v1 first; versions must be contiguous."""
    folder = history_dir / event_type
    numbered = sorted(
        (int(m.group(1)), p)
        for p in folder.glob("*.avsc")
        if (m := _VERSION_FILE.match(p.name)) is not None
    )
    if [n for n, _ in numbered] != list(range(1, len(numbered) + 1)):
        raise CatalogueError(f"{event_type}: history versions must be v1..vN without gaps")
    return [_version(event_type, n, _read_json(p)) for n, p in numbered]


def load_registry_ids(path: Path = REGISTRY_IDS_FILE) -> dict[int, tuple[str, int]]:
    """schemas/registry_ids.yaml as id -> (event type, version)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    ids = raw.get("ids") or {}
    out: dict[int, tuple[str, int]] = {}
    for schema_id, entry in ids.items():
        if not isinstance(schema_id, int) or schema_id < 1:
            raise CatalogueError("registry ids are positive integers")
        out[schema_id] = (str(entry["event_type"]), int(entry["version"]))
    return out


def load_catalogue(
    avro_dir: Path = AVRO_DIR,
    history_dir: Path = HISTORY_DIR,
    registry_ids_file: Path = REGISTRY_IDS_FILE,
) -> Catalogue:
    """Read and check the whole schemas folder (uncached: use ``catalogue()`` in code)."""
    shared = load_shared_types(avro_dir)
    for name, raw in shared.items():
        try:
            fastavro.parse_schema(expand(raw, shared), named_schemas={})
        except Exception as exc:
            raise CatalogueError(f"shared type {name}: invalid ({exc})") from exc
    events: dict[str, EventSchema] = {}
    for path in sorted(avro_dir.glob("*/*.avsc")):
        context = path.parent.name
        if context == COMMON_CONTEXT:
            continue
        raw = _read_json(path)
        event_type = raw.get("name")
        if event_type != path.stem or raw.get("namespace") != f"hub.{context}":
            raise CatalogueError(f"{path}: name must be the file name, namespace hub.{context}")
        if event_type in events:
            raise CatalogueError(f"{event_type} is defined in two contexts")
        try:
            expanded = expand(raw, shared)
        except SchemaDefinitionError as exc:
            raise CatalogueError(f"{event_type}: {exc}") from exc
        history = load_history(event_type, history_dir)
        current = _version(event_type, None, expanded)
        released = next((v for v in history if v.fingerprint == current.fingerprint), None)
        if released is not None and released is not history[-1]:
            raise CatalogueError(f"{event_type}: current schema equals an older release")
        if released is not None:
            # Keep today's JSON: docs and defaults are outside the canonical form, so the
            # release can differ from it in those and the reader must use today's.
            current = dataclasses.replace(current, version=released.version)
        events[event_type] = EventSchema(
            event_type=event_type,
            context=context,
            fullname=f"hub.{context}.{event_type}",
            current=current,
            history=tuple(history),
        )
    return Catalogue(events, load_registry_ids(registry_ids_file))


@functools.cache
def catalogue() -> Catalogue:
    """The catalogue of this checkout's schemas folder, loaded once on first use."""
    return load_catalogue()
