"""The hub's Prometheus metrics. Labels are kinds, types, reasons and outcomes: never personal data."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_ACCEPTED = Counter(
    "hub_events_accepted_total",
    "Agency events accepted into the log of record.",
    ["agency_kind", "event_type"],
)
EVENTS_DEAD_LETTERED = Counter(
    "hub_events_dead_lettered_total",
    "Records sent to the dead-letter topic, by the topic they came from (an agency kind's ingest"
    " topic, or a hub log for a processing error), the event type their framing names ('unknown'"
    " when it names none the catalogue knows) and the reason.",
    ["ingest_topic", "event_type", "reason"],
)
INGEST_LAG_SECONDS = Histogram(
    "hub_ingest_latency_seconds",
    "From the source's recorded_at to acceptance into the log (clock skew included).",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
IDENTITY_RESOLUTIONS = Counter(
    "hub_identity_resolutions_total",
    "Child subjects resolved to a record, by the rule that placed them.",
    ["rule"],
)
IDENTITY_REVIEWS_REQUESTED = Counter(
    "hub_identity_reviews_requested_total",
    "Possible matches queued for a front-door practitioner (IdentityReviewRequested).",
)
IDENTITY_MATCH_RATE = Gauge(
    "hub_identity_match_rate",
    "Share of known children with a verified NHS number (low: more wrong-child risk).",
)
CHRONOLOGY_ENTRIES = Counter(
    "hub_chronology_entries_total",
    "Events placed in a child record's chronology (entries, re-notifications and amendments).",
    ["event_type"],
)
SHARING_DECISIONS = Counter(
    "hub_sharing_decisions_total",
    "Sharing outcomes, one per candidate recipient of each event (shared, refused, non_disclosure).",
    ["outcome", "basis"],
)
ENCOMPASS_NOTIFICATIONS_ISSUED = Counter(
    "hub_encompass_notifications_issued_total",
    "Operation Encompass notifications issued (revision 1), by the accountable recipient's kind"
    " and organisation (a school or the LA coordinator: an organisation id, never a person).",
    ["recipient_kind", "local_authority", "organisation"],
)
ENCOMPASS_DELIVERED = Counter(
    "hub_encompass_delivered_total",
    "Notifications placed in the accountable recipient's inbox, before its deadline or not"
    " (a re-notification re-routed to another organisation is placed again).",
    ["on_time", "local_authority", "organisation"],
)
ENCOMPASS_DEADLINE_MISSED = Counter(
    "hub_encompass_deadline_missed_total",
    "Notifications not in the recipient's inbox by the start of the next school session.",
    ["local_authority", "organisation"],
)
ENCOMPASS_ESCALATED = Counter(
    "hub_encompass_escalated_total",
    "Notifications escalated to the LA coordinator or front door, by reason.",
    ["reason"],
)
ENCOMPASS_ACKNOWLEDGED = Counter(
    "hub_encompass_acknowledged_total",
    "Notifications acknowledged by the accountable recipient's named person.",
    ["organisation"],
)
CONSUMER_LAG = Gauge(
    "hub_consumer_lag_records",
    "Records on a partition this worker consumes that its consumer group has not yet committed"
    " (end offset - committed offset), per partition currently assigned to this worker.",
    ["group", "topic", "partition"],
)
ENCOMPASS_TIME_TO_ACKNOWLEDGE = Histogram(
    "hub_encompass_time_to_acknowledge_seconds",
    "From delivery into the recipient's inbox to the Key Adult's acknowledgement.",
    ["organisation"],
    buckets=(60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 604800),
)
REFERRALS_ROUTED = Counter(
    "hub_referrals_routed_total",
    "Referrals routed (one per referral, by its first child's routing), by destination and why"
    " (as named, a routing rule, or open to social care: the allocated team is told).",
    ["destination", "reason"],
)
REFERRALS_OVERDUE = Counter(
    "hub_referrals_overdue_total",
    "Referral time limits missed (ReferralOverdue raised), by timer and destination.",
    ["timer", "destination"],
)
REFERRAL_OUTCOMES_RETURNED = Counter(
    "hub_referral_outcomes_returned_total",
    "Referral outcomes returned to the referrer (the closed loop), by destination and outcome.",
    ["destination", "outcome"],
)
