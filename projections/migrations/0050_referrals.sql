-- One row per referral, for the referrer's and the receiving team's views (projection
-- referrals). Columns other than the key are nullable: each event sets only its own columns
-- (a "merge" write), in whatever order they arrive. No summary text: ids, statuses and times.
CREATE TABLE referrals (
    referral_id          text        PRIMARY KEY,
    made_event_id        uuid,
    made_at              timestamptz,
    referrer_agency_id   text,
    referrer_kind        text,
    named_destination    text,
    service_name         text,
    category             text,
    risk_level           text,
    destination          text,
    receiving_agency_id  text,
    route_reason         text,
    allocated_team_id    text,
    acknowledged_at      timestamptz,
    rag                  text,
    rated_at             timestamptz,
    panel_decision       text,
    panel_decided_at     timestamptz,
    outcome              text,
    outcome_event_id     uuid,
    outcome_reason       text,
    decided_at           timestamptz,
    outcome_returned_at  timestamptz,
    overdue_at           timestamptz,
    overdue_timer        text,
    overdue_deadline     timestamptz,
    recorded_at          timestamptz,
    status               text GENERATED ALWAYS AS (
        CASE
            WHEN outcome IS NOT NULL THEN 'decided'
            WHEN panel_decision IS NOT NULL THEN 'panel_decided'
            WHEN rag IS NOT NULL THEN 'triaged'
            WHEN acknowledged_at IS NOT NULL THEN 'acknowledged'
            ELSE 'awaiting'
        END
    ) STORED,
    projected_at         timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX ON referrals (referrer_agency_id, made_at);
CREATE INDEX ON referrals (receiving_agency_id, made_at);
CREATE INDEX ON referrals (made_at);

-- Every missed time limit (ReferralOverdue): the indicators count distinct referrals.
CREATE TABLE referral_overdue (
    event_id             uuid        PRIMARY KEY,
    referral_id          text        NOT NULL,
    timer                text        NOT NULL,
    deadline             timestamptz NOT NULL,
    detected_at          timestamptz NOT NULL,
    met_late_at          timestamptz,
    receiving_agency_id  text        NOT NULL,
    referrer_agency_id   text        NOT NULL,
    projected_at         timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX ON referral_overdue (referral_id);

COMMENT ON TABLE referrals IS
    'Projection referrals: one row per referral (ids, statuses, times, outcome; no summaries).';
