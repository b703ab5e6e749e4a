-- The erasure projection (projections/erasure): which keys and records each accepted event's
-- subjects are under, so `hub erase` finds every key of a child, and what the retention rules
-- need (agency kind, recorded day, a date of birth where the event gives one). Ids, kinds and
-- dates only; no names, identifiers or free text.
CREATE TABLE erasure_subjects (
    event_id       uuid        NOT NULL,
    subject_index  integer     NOT NULL CHECK (subject_index >= 0),
    key_id         text        NOT NULL,
    role           text        NOT NULL,
    agency_kind    text        NOT NULL,
    recorded_at    timestamptz NOT NULL,
    date_of_birth  date,
    projected_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, subject_index)
);

CREATE INDEX ON erasure_subjects (key_id);

-- SubjectsResolved: the record each child subject of an event resolved to.
CREATE TABLE erasure_resolutions (
    event_id       uuid        NOT NULL,
    subject_index  integer     NOT NULL CHECK (subject_index >= 0),
    record_id      text        NOT NULL,
    projected_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, subject_index)
);

CREATE INDEX ON erasure_resolutions (record_id);

-- SubjectErased facts: the child, its records and keys at erasure, trigger and reason code.
CREATE TABLE erased_children (
    erasure_event_id  uuid        PRIMARY KEY,
    child_id          text        NOT NULL,
    record_ids        text[]      NOT NULL,
    key_ids           text[]      NOT NULL,
    trigger           text        NOT NULL,
    reason            text        NOT NULL,
    erased_at         timestamptz NOT NULL,
    projected_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX ON erased_children (child_id);

COMMENT ON TABLE erasure_subjects IS
    'Projection erasure: per accepted event subject, its key id, role, agency kind and date of birth.';
COMMENT ON TABLE erasure_resolutions IS 'Projection erasure: event subject -> child record id.';
COMMENT ON TABLE erased_children IS 'Projection erasure: SubjectErased facts.';
