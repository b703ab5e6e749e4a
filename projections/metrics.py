"""Prometheus metrics of the projectors. Labels are projection names, topics and partitions and
fixed reasons: never personal data."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

BATCH_SIZE = Histogram(
    "hub_projection_batch_size",
    "Records per committed projection batch.",
    ["projection"],
    buckets=(1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000),
)
COMMIT_SECONDS = Histogram(
    "hub_projection_commit_seconds",
    "Time to write one batch's rows and positions (one transaction).",
    ["projection"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
EVENTS = Counter(
    "hub_projection_events_total",
    "Records projected (committed with their position).",
    ["projection"],
)
SKIPPED = Counter(
    "hub_projection_skipped_total",
    "Records a projection could not map and stepped over, by fixed reason.",
    ["projection", "reason"],
)
LAG = Gauge(
    "hub_projection_lag_records",
    "Records in the topic partition not yet projected (high watermark - next offset).",
    ["projection", "topic", "partition"],
)
E2E_LATENCY = Histogram(
    "hub_projection_e2e_latency_seconds",
    "From the source's recorded_at to the commit of the projected row (clock skew included).",
    ["projection"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600),
)
E2E_OCCURRED_LATENCY = Histogram(
    "hub_projection_occurred_latency_seconds",
    "From when the fact happened (occurred_at) to the commit of the projected row: how late the"
    " hub learns of things, recording delays at the source included.",
    ["projection"],
    # 1 s to 30 days: police incidents are often recorded hours or days after they happen.
    buckets=(1, 10, 60, 300, 900, 3600, 14400, 43200, 86400, 259200, 604800, 2592000),
)
RETRIES = Counter(
    "hub_projection_retries_total",
    "Times a projector restarted its session after Kafka or PostgreSQL failed, by cause.",
    ["projection", "cause"],
)
RESEEKS = Counter(
    "hub_projection_reseeks_total",
    "Times a projector found its stored positions moved (a rebuild swap) and re-sought.",
    ["projection"],
)
