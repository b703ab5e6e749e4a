-- The key store for crypto-shredding (docs/ERASURE.md): one data key per subject identity,
-- wrapped (AES-GCM) under the master key, which never enters the database. Erasure sets
-- wrapped to NULL and keeps the row as a tombstone, so an erased id is never given a new key.
-- Not a projection: these rows are the only copy of the keys; never rebuilt, never dropped.
CREATE TABLE erasure_keys (
    key_id            text        PRIMARY KEY CHECK (key_id ~ '^[0-9a-f]{32}$'),
    wrapped           bytea,
    created_at        timestamptz NOT NULL DEFAULT now(),
    erased_at         timestamptz,
    erasure_event_id  uuid,
    CHECK ((wrapped IS NULL) = (erased_at IS NOT NULL))
);

-- Children whose erasure is blocked (litigation, an inquiry, a serious case review).
CREATE TABLE legal_holds (
    child_id   text        PRIMARY KEY,
    reason     text        NOT NULL,
    set_by     text        NOT NULL,
    set_at     timestamptz NOT NULL DEFAULT now()
);

-- Every erasure carried out, for the DPO: which child, why, by whom, how many keys.
CREATE TABLE erasures (
    erasure_event_id  uuid        PRIMARY KEY,
    child_id          text        NOT NULL,
    trigger           text        NOT NULL CHECK (trigger IN ('REQUEST', 'RETENTION')),
    reason            text        NOT NULL,
    erased_by         text        NOT NULL,
    key_count         integer     NOT NULL CHECK (key_count >= 0),
    record_count      integer     NOT NULL CHECK (record_count >= 0),
    erased_at         timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX ON erasures (child_id);

COMMENT ON TABLE erasure_keys IS
    'Key store: data keys wrapped under HUB_MASTER_KEY; wrapped NULL = erased (crypto-shredded).';
COMMENT ON TABLE legal_holds IS 'Children whose erasure (on request or by retention) is blocked.';
COMMENT ON TABLE erasures IS 'Every erasure carried out: child id, trigger, reason code, operator.';
