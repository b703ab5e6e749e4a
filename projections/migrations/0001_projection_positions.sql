-- Where each projection has read up to, per topic partition. A projection writes its rows and
-- its position in the same transaction, so a redelivered record is recognised and skipped.
CREATE TABLE projection_positions (
    projection   text    NOT NULL,
    topic        text    NOT NULL,
    partition    integer NOT NULL CHECK (partition >= 0),
    next_offset  bigint  NOT NULL CHECK (next_offset >= 0),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (projection, topic, partition)
);

COMMENT ON TABLE projection_positions IS
    'Next Kafka offset to read per projection and partition; written with the rows it covers.';
