"""The read API's Prometheus metrics. Labels are route templates, statuses and view names:
never people, children or anything from a query string."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram


@dataclass(frozen=True, slots=True)
class ApiMetrics:
    """The API's instruments, in one registry (a fresh one per app in tests)."""

    registry: CollectorRegistry
    duration: Histogram
    audit_written: Counter
    audit_failed: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> ApiMetrics:
        return cls(
            registry=registry,
            duration=Histogram(
                "hub_api_request_duration_seconds",
                "Time to answer a read API or web request, by route template and status.",
                ["endpoint", "status"],
                buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
                registry=registry,
            ),
            audit_written=Counter(
                "hub_audit_events_written_total",
                "RecordViewed events acknowledged by the broker (acks=all), by view.",
                ["view"],
                registry=registry,
            ),
            audit_failed=Counter(
                "hub_audit_write_failures_total",
                "Reads (and acknowledgements) refused with 503 because the broker did not take their"
                " event: the read is not shown unaudited. By route template.",
                ["endpoint"],
                registry=registry,
            ),
        )
