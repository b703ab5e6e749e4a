-- Who read which child's record, when, through which view, and why: RecordViewed events from
-- hub.log.audit.v1, written by the read API. For the DPO (GET /v1/audit) and, for a child on a
-- child protection plan or looked after, the responsible social care team (notify_team).
-- Append-only facts keyed by event id: a redelivered record is a no-op.
CREATE TABLE audit_log (
    event_id           uuid        PRIMARY KEY,
    viewed_at          timestamptz NOT NULL,
    viewer_id          text        NOT NULL,
    viewer_name        text        NOT NULL,
    viewer_role        text        NOT NULL,
    organisation_id    text        NOT NULL,
    child_id           text        NOT NULL,
    view               text        NOT NULL,
    endpoint           text        NOT NULL,
    reason             text        NOT NULL,
    include_retracted  boolean     NOT NULL,
    items_shown        integer     NOT NULL CHECK (items_shown >= 0),
    child_status       text,
    notify_team        text,
    projected_at       timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX ON audit_log (viewed_at);
CREATE INDEX ON audit_log (child_id, viewed_at);
CREATE INDEX ON audit_log (viewer_id, viewed_at);
CREATE INDEX ON audit_log (notify_team, viewed_at);

COMMENT ON TABLE audit_log IS
    'Projection audit_log: every read of a child''s record (RecordViewed), with who, why and what.';
