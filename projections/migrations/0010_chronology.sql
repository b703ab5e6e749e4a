-- The chronology read model, projected from hub.log.chronology.v1 (ChronologyUpdated) and, for
-- which records make up a child, hub.log.identity.v1. Content may be personal data: read it only
-- through the sharing policy's checks. Nothing here is edited by hand; rebuild from the logs.
-- No views over these tables: a rebuild drops and renames them (projections/tables.py).

-- Every accepted event placed in a child record's chronology, with its content as published:
-- entries (one per significant event), re-notifications, corrections and retractions.
CREATE TABLE chronology_events (
    record_id              text        NOT NULL,
    event_id               uuid        NOT NULL,
    event_type             text        NOT NULL,
    kind                   text        NOT NULL CHECK (kind IN ('entry', 'correction', 'retraction')),
    target_event_id        uuid,
    occurred_at            timestamptz NOT NULL,
    recorded_at            timestamptz NOT NULL,
    agency_id              text        NOT NULL,
    agency_kind            text        NOT NULL,
    practitioner_role      text,
    category               text,
    summary                text,
    impact_on_child        text,
    action_taken           text,
    lawful_basis           text,
    police_reference       text,
    amended_by             text,
    reason                 text,
    restricted_categories  text[]      NOT NULL DEFAULT '{}',
    projected_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (record_id, event_id)
);

CREATE INDEX ON chronology_events (event_id);
CREATE INDEX ON chronology_events (record_id, police_reference);

COMMENT ON TABLE chronology_events IS
    'Projection chronology_entries: each event placed in a record''s chronology, content as published.';

-- One row per version of an entry in a record's chronology, i.e. per (record_id, entry_id,
-- version), keyed by the event the version came from (stable when a late event renumbers
-- versions). Structure only; content is the chronology_events row of source_event_id (a
-- correction's row carries only what it corrects). The latest ChronologyUpdated wins.
CREATE TABLE chronology_entries (
    record_id               text        NOT NULL,
    source_event_id         uuid        NOT NULL,
    entry_id                uuid        NOT NULL,
    version                 integer     NOT NULL CHECK (version >= 1),
    superseded_by_event_id  uuid,
    retracted_by_event_id   uuid,
    -- Curation (include in a printed chronology) has no accepted event type yet: all included.
    included                boolean     NOT NULL DEFAULT true,
    projected_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (record_id, source_event_id)
);

CREATE INDEX ON chronology_entries (record_id, entry_id, version);

COMMENT ON TABLE chronology_entries IS
    'Projection chronology_entries: per record, every version of every entry and what supersedes or strikes it.';

-- Which child each record belongs to, as facts from the identity log: a record's first sighting
-- (SubjectsResolved, minted) and every RecordsRekeyed. The current child of a record is its
-- latest fact: by the identity log's timestamp (one producer writes it, in decision order), a
-- rekeying before a resolution in the same millisecond.
CREATE TABLE child_records (
    record_id      text        NOT NULL,
    fact_event_id  uuid        NOT NULL,
    child_id       text        NOT NULL,
    logged_at      timestamptz NOT NULL,
    fact_rank      smallint    NOT NULL,
    projected_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (record_id, fact_event_id)
);

CREATE INDEX ON child_records (child_id);
CREATE INDEX ON child_records (record_id, logged_at, fact_rank);

COMMENT ON TABLE child_records IS
    'Projection child_records: record -> child facts from hub.log.identity.v1; the latest fact wins.';
