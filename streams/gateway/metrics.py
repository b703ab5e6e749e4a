"""The gateway's Prometheus metrics. Labels are statuses and agency kinds: never tokens, never
agency ids, never anything from a request body."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram

# No token behind the request (401 before authentication, 413 before reading it...).
UNAUTHENTICATED = "none"


@dataclass(frozen=True, slots=True)
class GatewayMetrics:
    """The gateway's instruments, registered in one registry (a fresh one per app in tests)."""

    registry: CollectorRegistry
    requests: Counter
    duration: Histogram
    produced: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> GatewayMetrics:
        return cls(
            registry=registry,
            requests=Counter(
                "hub_gateway_requests_total",
                "Ingest requests (POST /v1/events) by response status and the token's agency kind.",
                ["status", "agency_kind"],
                registry=registry,
            ),
            duration=Histogram(
                "hub_gateway_request_duration_seconds",
                "Time to answer an ingest request, produce to Kafka included.",
                buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
                registry=registry,
            ),
            produced=Counter(
                "hub_gateway_events_produced_total",
                "Events written to an ingest topic (acks=all), by agency kind and event type.",
                ["agency_kind", "event_type"],
                registry=registry,
            ),
        )
