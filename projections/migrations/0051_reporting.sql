-- Facts the partnership's indicators are counted from (projection reporting). Counts only:
-- ids, times, agencies and reasons; children by hub child id, never identifiers or names.
CREATE TABLE report_facts (
    event_id      uuid        PRIMARY KEY,
    event_type    text        NOT NULL,
    occurred_at   timestamptz NOT NULL,
    agency_id     text        NOT NULL,
    agency_kind   text        NOT NULL,
    reference     text        NOT NULL,
    dimension     text,
    projected_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON report_facts (event_type, occurred_at);
CREATE INDEX ON report_facts (reference);

CREATE TABLE report_subjects (
    event_id       uuid    NOT NULL,
    subject_index  integer NOT NULL,
    event_type     text    NOT NULL,
    child_id       text    NOT NULL,
    projected_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, subject_index)
);
CREATE INDEX ON report_subjects (child_id);

CREATE TABLE report_encompass (
    police_reference    text NOT NULL,
    record_id           text NOT NULL,
    organisation_id     text,
    issued_at           timestamptz,
    deadline            timestamptz,
    delivered_at        timestamptz,
    deadline_missed_at  timestamptz,
    projected_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (police_reference, record_id)
);

COMMENT ON TABLE report_facts IS 'Projection reporting: early help and step-up/down facts (counts only).';
