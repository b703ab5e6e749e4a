"""Every Kafka topic the hub owns, declared once (applied by `hub topics apply`).

Naming convention: ``hub.<layer>.<subject>.v<major>``.
- layer ``ingest``: what agencies publish, one topic per agency kind (Kafka ACLs grant each
  agency's credentials write on its own ingest topic only). Short retention: it is a buffer;
  everything in it becomes either an accepted event or a dead letter.
- layer ``log``: the hub's log of record, kept forever (-1): read views are rebuilt from it.
- layer ``ops``: dead letters and other records for people to act on, kept forever until replayed.
``v<major>`` changes only for a breaking change of key or format, which means a new topic and a
migration, never an in-place change. faust's own changelog topics are named ``<app id>-<table>-changelog``.
"""

from __future__ import annotations

from dataclasses import dataclass

DAY_MS = 24 * 60 * 60 * 1000
FOREVER = -1


@dataclass(frozen=True, slots=True, kw_only=True)
class TopicSpec:
    """One topic: its name, how it is split and how long Kafka keeps it."""

    name: str
    partitions: int
    retention_ms: int
    cleanup_policy: str  # "delete" or "compact"
    key: str
    doc: str

    @property
    def configs(self) -> dict[str, str]:
        return {"retention.ms": str(self.retention_ms), "cleanup.policy": self.cleanup_policy}


# Partitions: enough to run a few workers in one consumer group on a small deployment; tables
# keyed like their source topic need the same count, so the log topics share one number.
LOG_PARTITIONS = 4
INGEST_RETENTION_MS = DAY_MS

INGEST_KINDS = ("police", "education", "health", "socialcare", "earlyhelp", "partners")


# Which ingest topic each agency kind publishes to (and may only publish to).
INGEST_KIND_OF_AGENCY: dict[str, str] = {
    "POLICE": "police",
    "SCHOOL": "education",
    "EARLY_YEARS": "education",
    "HEALTH": "health",
    "SOCIAL_CARE": "socialcare",
    "LOCAL_AUTHORITY": "socialcare",
    "EARLY_HELP": "earlyhelp",
    "HOUSING": "partners",
    "YOUTH_JUSTICE": "partners",
    "VOLUNTARY": "partners",
}


def ingest_topic_for_agency(agency_kind: str) -> str:
    """The ingest topic an agency of this kind publishes to."""
    return ingest_topic(INGEST_KIND_OF_AGENCY[agency_kind])


def ingest_topic(kind: str) -> str:
    """The ingest topic an agency kind publishes to."""
    if kind not in INGEST_KINDS:
        raise ValueError(f"no ingest topic for agency kind '{kind}'")
    return f"hub.ingest.{kind}.v1"


ACCEPTED = "hub.log.accepted.v1"
DEAD_LETTER = "hub.ops.deadletter.v1"
SHARES = "hub.log.shares.v1"
AUDIT = "hub.log.audit.v1"
IDENTITY = "hub.log.identity.v1"
CHRONOLOGY = "hub.log.chronology.v1"
ENCOMPASS = "hub.log.encompass.v1"
POLICY = "hub.log.policy.v1"
ERASURE = "hub.log.erasure.v1"
REFERRALS = "hub.log.referrals.v1"

TOPICS: tuple[TopicSpec, ...] = (
    *(
        TopicSpec(
            name=ingest_topic(kind),
            partitions=LOG_PARTITIONS,
            # One day: what agencies send is in clear here (the hub seals it on the way to the
            # log), so this bounds how long an erased child's plaintext survives (ERASURE.md).
            retention_ms=INGEST_RETENTION_MS,
            cleanup_policy="delete",
            key="publisher's reference for the primary subject",
            doc=f"Events published by {kind} agencies, Avro single-object encoded.",
        )
        for kind in INGEST_KINDS
    ),
    TopicSpec(
        name=ACCEPTED,
        partitions=LOG_PARTITIONS,
        retention_ms=FOREVER,
        cleanup_policy="delete",
        key="event_id",
        doc="Every validated, de-duplicated agency event: the log of record.",
    ),
    TopicSpec(
        name=DEAD_LETTER,
        partitions=1,
        retention_ms=FOREVER,
        cleanup_policy="delete",
        key="original key",
        doc="Rejected records: original bytes, reason and origin in headers.",
    ),
    TopicSpec(
        name=SHARES,
        partitions=LOG_PARTITIONS,
        retention_ms=FOREVER,
        cleanup_policy="delete",
        key="recipient id",
        doc="One record per (event, recipient): shared or refused, with basis.",
    ),
    TopicSpec(
        name=AUDIT,
        partitions=LOG_PARTITIONS,
        retention_ms=FOREVER,
        cleanup_policy="delete",
        key="child id",
        doc="Record views, disclosures, refusals and non-disclosures.",
    ),
    TopicSpec(
        name=IDENTITY,
        partitions=LOG_PARTITIONS,
        retention_ms=FOREVER,
        cleanup_policy="delete",
        key="child id",
        doc="Links, unlinks and identity reviews.",
    ),
    TopicSpec(
        name=CHRONOLOGY,
        partitions=LOG_PARTITIONS,
        retention_ms=FOREVER,
        cleanup_policy="delete",
        key="child id",
        doc="Chronology entries as derived from accepted events.",
    ),
    TopicSpec(
        name=ENCOMPASS,
        partitions=LOG_PARTITIONS,
        retention_ms=FOREVER,
        cleanup_policy="delete",
        key="police reference",
        doc="Operation Encompass notifications and their lifecycle.",
    ),
    TopicSpec(
        name=POLICY,
        partitions=1,
        retention_ms=FOREVER,
        cleanup_policy="delete",
        key="policy id",
        doc="Information-sharing agreement versions adopted (PolicyAdopted).",
    ),
    TopicSpec(
        name=REFERRALS,
        partitions=LOG_PARTITIONS,
        retention_ms=FOREVER,
        cleanup_policy="delete",
        key="referral id",
        doc="Referral routing, outcomes returned to referrers and overdue time limits.",
    ),
    TopicSpec(
        name=ERASURE,
        partitions=LOG_PARTITIONS,
        retention_ms=FOREVER,
        cleanup_policy="delete",
        key="child id",
        doc="SubjectErased: children erased by crypto-shredding (ids only; docs/ERASURE.md).",
    ),
)
