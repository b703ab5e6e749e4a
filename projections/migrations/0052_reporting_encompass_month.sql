-- report_encompass: when the incident happened (the envelope's occurred_at, the same for an
-- original and its re-notifications). The indicators count a month's notifications by it, not
-- by the hub's clock at issue. Rows projected before this migration have it null until the
-- reporting projection is rebuilt (`hub projections rebuild reporting`).
ALTER TABLE report_encompass ADD COLUMN incident_occurred_at timestamptz;
CREATE INDEX ON report_encompass (incident_occurred_at);
