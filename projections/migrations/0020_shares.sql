-- The sharing stage's read model: partners' inboxes, revocations and the refusal audit.
-- Keyed by (source event, child record, recipient): a replayed decision never shares twice.
-- A partner's view: shares s WHERE NOT EXISTS a share_revocations row with s's key.
-- Index names are left to PostgreSQL: a rebuild recreates them with LIKE ... INCLUDING ALL.
CREATE TABLE shares (
    source_event_id      uuid        NOT NULL,
    record_id            text        NOT NULL,
    recipient_id         text        NOT NULL,
    share_event_id       uuid        NOT NULL UNIQUE,
    event_type           text        NOT NULL,
    recipient_role       text        NOT NULL,
    relationship         text        NOT NULL,
    level                text        NOT NULL
        CHECK (level IN ('EXISTENCE_ONLY', 'SUMMARY', 'FULL')),
    basis                text        NOT NULL,
    consent_scope        text,
    rule_number          integer     NOT NULL CHECK (rule_number > 0),
    policy_version       text        NOT NULL,
    policy_content_hash  text        NOT NULL,
    content              jsonb       NOT NULL,
    occurred_at          timestamptz NOT NULL,
    shared_at            timestamptz NOT NULL,
    projected_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source_event_id, record_id, recipient_id),
    CHECK ((basis = 'CONSENT') = (consent_scope IS NOT NULL))
);

CREATE INDEX ON shares (recipient_id, occurred_at);
CREATE INDEX ON shares (record_id, occurred_at);

CREATE TABLE share_revocations (
    source_event_id      uuid        NOT NULL,
    record_id            text        NOT NULL,
    recipient_id         text        NOT NULL,
    revoked_at           timestamptz NOT NULL,
    revoked_by_event_id  uuid        NOT NULL,
    consent_scope        text        NOT NULL,
    reason_code          text        NOT NULL,
    projected_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source_event_id, record_id, recipient_id)
);

CREATE TABLE share_refusals (
    source_event_id      uuid        NOT NULL,
    record_id            text        NOT NULL,
    recipient_id         text        NOT NULL,
    outcome_event_id     uuid        NOT NULL UNIQUE,
    outcome              text        NOT NULL
        CHECK (outcome IN ('ShareRefused', 'NonDisclosureRecorded')),
    event_type           text        NOT NULL,
    recipient_role       text        NOT NULL,
    relationship         text        NOT NULL,
    code                 text        NOT NULL,
    reason               text        NOT NULL,
    policy_version       text        NOT NULL,
    decided_at           timestamptz NOT NULL,
    projected_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source_event_id, record_id, recipient_id)
);

CREATE INDEX ON share_refusals (record_id, decided_at);
CREATE INDEX ON share_refusals (code);

COMMENT ON TABLE shares IS
    'Projection shares: items shared with each recipient, at a level, on a basis, under a policy.';
COMMENT ON TABLE share_revocations IS
    'Projection shares: consent-based items that left a recipient''s view at withdrawal.';
COMMENT ON TABLE share_refusals IS
    'Projection shares: refusals and non-disclosures, with reason code and reason.';
