-- The social care status events (child protection plans, periods looked after) with the team
-- responsible, from hub.log.accepted.v1. Which child an event concerns comes from
-- chronology_events (record_id, event_id); this table adds what the chronology does not keep:
-- the episode (plan or period) and its responsible team, whom the read API tells of reads
-- (as CP-IS does). Facts keyed by event id: a redelivered record is a no-op.
CREATE TABLE child_status_events (
    event_id             uuid        PRIMARY KEY,
    event_type           text        NOT NULL,
    status               text        NOT NULL CHECK (status IN ('CHILD_PROTECTION_PLAN', 'LOOKED_AFTER')),
    started              boolean     NOT NULL,
    episode_id           text        NOT NULL,
    responsible_team_id  text        NOT NULL,
    agency_id            text        NOT NULL,
    occurred_at          timestamptz NOT NULL,
    recorded_at          timestamptz NOT NULL,
    projected_at         timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX ON child_status_events (episode_id);

COMMENT ON TABLE child_status_events IS
    'Projection child_status: CP plan and looked-after starts and ends, with episode and responsible team.';
