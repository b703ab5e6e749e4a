"""The encompass_alerts projection (see mapping.py)."""

from __future__ import annotations

from projections.encompass_alerts.mapping import REVISION_GUARD, AlertRow, rows
from projections.model import Projection, Table
from schemas.topics import ENCOMPASS

PROJECTION = Projection(
    name="encompass_alerts",
    topics=(ENCOMPASS,),
    tables=(
        Table(
            name="encompass_alerts",
            row_type=AlertRow,
            key=("police_reference", "record_id"),
            on_conflict="merge",
            update_when=REVISION_GUARD,
        ),
    ),
    map=rows,
    doc="Each recipient's Operation Encompass inbox: one row per (police reference, child).",
)

__all__ = ["PROJECTION", "AlertRow", "rows"]
