-- An index of every accepted event: type, agency, times and log position. No personal content:
-- the full record stays in the log (hub.log.accepted.v1) at (topic, partition, offset).
-- Index names are left to PostgreSQL: a rebuild recreates them with LIKE ... INCLUDING ALL.
CREATE TABLE accepted_events (
    event_id      uuid        PRIMARY KEY,
    event_type    text        NOT NULL,
    agency_kind   text        NOT NULL,
    agency_id     text        NOT NULL,
    occurred_at   timestamptz NOT NULL,
    recorded_at   timestamptz NOT NULL,
    topic         text        NOT NULL,
    partition     integer     NOT NULL CHECK (partition >= 0),
    "offset"      bigint      NOT NULL CHECK ("offset" >= 0),
    projected_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX ON accepted_events (event_type, recorded_at);
CREATE INDEX ON accepted_events (agency_id, recorded_at);

COMMENT ON TABLE accepted_events IS
    'Projection accepted_events: one row per accepted event_id, without personal content.';
