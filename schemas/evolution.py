"""Schema evolution: BACKWARD_TRANSITIVE checks and releasing a new version into the history.

BACKWARD_TRANSITIVE: the current schema, as a reader, must read data written with every
released version. The check is the avro package's ReaderWriterCompatibilityChecker (the
avro package is used for this only: fastavro does the encoding and the fingerprints).

Run ``python -m schemas.evolution check`` to check every event type, and
``python -m schemas.evolution release EventName`` after changing a schema: it checks the
change, writes ``schemas/history/EventName/v<N+1>.avsc`` and appends its registry id.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import avro.schema
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

from schemas.catalogue import (
    AVRO_DIR,
    HISTORY_DIR,
    REGISTRY_IDS_FILE,
    Catalogue,
    catalogue,
    load_catalogue,
)


def incompatibilities(reader: Mapping[str, Any], writer: Mapping[str, Any]) -> list[str]:
    """Why ``reader`` cannot read what ``writer`` wrote; empty when it can."""
    checker = ReaderWriterCompatibilityChecker()  # type: ignore[no-untyped-call]  # untyped __init__
    result = checker.get_compatibility(
        avro.schema.parse(json.dumps(reader)), avro.schema.parse(json.dumps(writer))
    )
    if result.compatibility is SchemaCompatibilityType.compatible:
        return []
    kinds = ", ".join(sorted({i.value for i in result.incompatibilities}))
    where = ", ".join(sorted(result.locations))
    return [f"{kinds} at {where}"]


def check_backward_transitive(
    event_type: str,
    reader: Mapping[str, Any] | None = None,
    *,
    within: Catalogue | None = None,
) -> list[str]:
    """Problems reading every released version of ``event_type`` with the current schema.

    ``reader`` replaces the current schema, to try a change before making it. Empty means
    compatible.
    """
    cat = within or catalogue()
    event = cat.get(event_type)
    if event is None:
        raise KeyError(event_type)
    candidate = reader if reader is not None else event.current.expanded
    problems: list[str] = []
    for writer in event.history:
        found = incompatibilities(candidate, writer.expanded)
        problems += [f"v{writer.version}: {p}" for p in found]
    return problems


def release(
    event_type: str,
    *,
    avro_dir: Path = AVRO_DIR,
    history_dir: Path = HISTORY_DIR,
    registry_ids_file: Path = REGISTRY_IDS_FILE,
) -> Path | None:
    """Write the current schema as the next history version and give it a registry id.

    Returns the new file, or None when the current schema is already released. Raises
    ValueError when the change is not BACKWARD_TRANSITIVE compatible.
    """
    cat = load_catalogue(avro_dir, history_dir, registry_ids_file)
    event = cat.get(event_type)
    if event is None:
        raise KeyError(event_type)
    if event.released:
        return None
    problems = check_backward_transitive(event_type, within=cat)
    if problems:
        raise ValueError(f"{event_type} is not backward compatible: {'; '.join(problems)}")
    number = len(event.history) + 1
    target = history_dir / event_type / f"v{number}.avsc"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(event.current.expanded, indent=2) + "\n", encoding="utf-8")
    # Append rather than rewrite the YAML, so its comments and order stay as committed.
    next_id = max(cat.registry_ids, default=0) + 1
    with registry_ids_file.open("a", encoding="utf-8") as out:
        out.write(f"  {next_id}: {{event_type: {event_type}, version: {number}}}\n")
    return target


def main(argv: Sequence[str] | None = None) -> int:
    """``check`` every event type, or ``release EventName``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["check"] and len(args) == 1:
        cat = catalogue()
        failed = False
        for event_type in cat.event_types:
            problems = check_backward_transitive(event_type)
            event = cat.get(event_type)
            unreleased = event is not None and not event.released
            status = "incompatible" if problems else "unreleased" if unreleased else "ok"
            print(f"{event_type}: {status}", *problems, sep="\n  ")
            failed = failed or bool(problems)
        return 1 if failed else 0
    if args[:1] == ["release"] and len(args) == 2:
        written = release(args[1])
        print(f"wrote {written}" if written else f"{args[1]} is already released")
        return 0
    print("usage: python -m schemas.evolution check | release EventName", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
