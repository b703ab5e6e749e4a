"""The hub's Prometheus metrics. Labels are kinds, types, reasons and outcomes: never personal data."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

EVENTS_ACCEPTED = Counter(
    "hub_events_accepted_total",
    "Agency events accepted into the log of record.",
    ["agency_kind", "event_type"],
)
EVENTS_DEAD_LETTERED = Counter(
    "hub_events_dead_lettered_total",
    "Records sent to the dead-letter topic, by reason.",
    ["ingest_topic", "reason"],
)
INGEST_LAG_SECONDS = Histogram(
    "hub_ingest_latency_seconds",
    "From the source's recorded_at to acceptance into the log (clock skew included).",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
