-- Each recipient's Operation Encompass inbox: one row per notification (police reference,
-- child record). Columns other than the key are nullable because status events set only their
-- own columns (a "merge" write); an issued row always has the recipient, deadline and content.
-- content holds the statutory allow-list and nothing else (streams/encompass/content.py).
CREATE TABLE encompass_alerts (
    police_reference    text        NOT NULL,
    record_id           text        NOT NULL,
    child_id            text,
    revision            integer     CHECK (revision >= 1),
    local_authority     text,
    recipient_kind      text,
    organisation_id     text,
    organisation_name   text,
    key_adult_name      text,
    route_reason        text,
    intended_urn        text,
    copies              jsonb,
    deadline            timestamptz,
    issued_at           timestamptz,
    delivered_at        timestamptz,
    content             jsonb,
    escalate_to         text,
    deadline_missed_at  timestamptz,
    acknowledged_at     timestamptz,
    acknowledged_by     text,
    escalated_at        timestamptz,
    escalation_reason   text,
    recorded_at         timestamptz,
    status              text GENERATED ALWAYS AS (
        CASE
            WHEN acknowledged_at IS NOT NULL THEN 'acknowledged'
            WHEN escalated_at IS NOT NULL THEN 'escalated'
            WHEN deadline_missed_at IS NOT NULL THEN 'late'
            WHEN delivered_at IS NOT NULL THEN 'delivered'
            ELSE 'issued'
        END
    ) STORED,
    projected_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (police_reference, record_id)
);

-- The morning inbox: a setting's notifications by deadline.
CREATE INDEX ON encompass_alerts (organisation_id, deadline);
CREATE INDEX ON encompass_alerts (status, deadline);

COMMENT ON TABLE encompass_alerts IS
    'Projection encompass_alerts: one row per Operation Encompass notification (allow-listed content only).';
