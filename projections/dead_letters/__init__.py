"""The dead_letters projection (see mapping.py)."""

from __future__ import annotations

from projections.dead_letters.mapping import DeadLetterRow, rows
from projections.model import Projection, Table
from schemas.topics import DEAD_LETTER

PROJECTION = Projection(
    name="dead_letters",
    topics=(DEAD_LETTER,),
    tables=(
        Table(
            name="dead_letters",
            row_type=DeadLetterRow,
            key=("topic", "partition", "offset"),
            on_conflict="nothing",
        ),
    ),
    map=rows,
    doc="Rejected records with reason, origin and original bytes, for triage and replay.",
)

__all__ = ["PROJECTION", "DeadLetterRow", "rows"]
