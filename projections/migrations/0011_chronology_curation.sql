-- Curation (EntryCurated): a lead practitioner includes or excludes an entry from the printed
-- chronology without changing the record. A curation is placed in the chronology like an
-- amendment (kind 'curation', naming its entry in target_event_id, who in amended_by, why in
-- reason) with its decision in `included`; chronology_entries.included (created in 0010) now
-- follows the entry's latest curation.

-- The kind check, whatever name it has (a rebuild's copy may have renamed it).
DO $$
DECLARE
    found text;
BEGIN
    FOR found IN
        SELECT conname FROM pg_constraint
        WHERE conrelid = 'chronology_events'::regclass AND contype = 'c'
          AND pg_get_constraintdef(oid) LIKE '%kind%'
    LOOP
        EXECUTE format('ALTER TABLE chronology_events DROP CONSTRAINT %I', found);
    END LOOP;
END
$$;

ALTER TABLE chronology_events
    ADD CONSTRAINT chronology_events_kind_check
        CHECK (kind IN ('entry', 'correction', 'retraction', 'curation')),
    ADD COLUMN included boolean;

COMMENT ON COLUMN chronology_events.included IS
    'For a curation: true printed, false left out of the printed chronology; null otherwise.';
COMMENT ON COLUMN chronology_entries.included IS
    'Whether this version is printed: the entry''s latest curation decides (true when none).';
