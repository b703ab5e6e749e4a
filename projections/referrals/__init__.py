"""The referrals projection (see mapping.py)."""

from __future__ import annotations

from projections.model import Projection, Table
from projections.referrals.mapping import OverdueRow, ReferralRow, rows
from schemas.topics import ACCEPTED, REFERRALS

PROJECTION = Projection(
    name="referrals",
    topics=(ACCEPTED, REFERRALS),
    tables=(
        Table(name="referrals", row_type=ReferralRow, key=("referral_id",), on_conflict="merge"),
        Table(name="referral_overdue", row_type=OverdueRow, key=("event_id",)),
    ),
    map=rows,
    doc="Each referral's status, route, RAG, outcome (returned to the referrer) and overdue flag.",
)

__all__ = ["PROJECTION", "OverdueRow", "ReferralRow", "rows"]
