-- The on-call engineer's view of hub.ops.deadletter.v1: why each record was rejected, where it
-- came from, and its original key and bytes (which may hold personal data: this table is for
-- the hub's operators only) so it can be replayed after a fix.
CREATE TABLE dead_letters (
    topic             text        NOT NULL,
    partition         integer     NOT NULL CHECK (partition >= 0),
    "offset"          bigint      NOT NULL CHECK ("offset" >= 0),
    reason            text        NOT NULL,
    detail            text        NOT NULL,
    source_topic      text,
    source_partition  integer,
    source_offset     bigint,
    dead_lettered_at  timestamptz,
    original_key      bytea,
    original_size     integer     NOT NULL CHECK (original_size >= 0),
    original          bytea       NOT NULL,
    projected_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (topic, partition, "offset")
);

CREATE INDEX ON dead_letters (reason, dead_lettered_at);
CREATE INDEX ON dead_letters (source_topic, source_partition, source_offset);

COMMENT ON TABLE dead_letters IS
    'Projection dead_letters: rejected records with reason, origin and original bytes, for replay.';
