-- The change log: one row per change to an entity, relation, domain, config,
-- config version, API key or module settings, written by row triggers in the
-- transaction that makes the change, so no write can commit without its
-- event and a rolled-back write leaves none. Costs batches and imports write
-- one summarised event each from Go (db/changes.go).
--
-- seq orders the log by commit: rows are inserted with seq NULL and numbered
-- by a deferred trigger just before commit, under a transaction-scoped
-- advisory lock, so seq is gap-free and a reader that has seen seq N has seen
-- every event up to N. (Committing a NOTIFY already takes a database-wide
-- lock, so the advisory lock adds no new serialisation.)
CREATE TABLE changes (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seq         bigint      UNIQUE,
    tx          xid8        NOT NULL DEFAULT pg_current_xact_id(),
    org_id      text        NOT NULL,
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    key_name    text        NOT NULL,
    operation   text        NOT NULL CHECK (operation IN ('create', 'update', 'delete')),
    object_type text        NOT NULL,
    object_id   text        NOT NULL,
    entity_type text,
    refs        text[]      NOT NULL DEFAULT '{}',
    before      jsonb,
    after       jsonb
);

CREATE INDEX changes_feed ON changes (org_id, seq);
CREATE INDEX changes_object ON changes (org_id, object_id, seq);
CREATE INDEX changes_refs ON changes USING gin (refs);
CREATE INDEX changes_unsequenced ON changes (tx) WHERE seq IS NULL;

-- merge folds a column diff over a row: the state after a series of changes
-- is merge(after ORDER BY seq).
CREATE AGGREGATE jsonb_merge(jsonb) (SFUNC = jsonb_concat, STYPE = jsonb, INITCOND = '{}');

-- The log is append-only: the sequencer may number a row once, retention
-- (cartograph.retention = 'on' in its transaction) may delete old rows.
CREATE FUNCTION changes_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF current_setting('cartograph.retention', true) = 'on' THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'the change log is append-only' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.seq IS NULL AND NEW.seq IS NOT NULL
        AND (to_jsonb(OLD) - 'seq') = (to_jsonb(NEW) - 'seq') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the change log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER changes_append_only BEFORE UPDATE OR DELETE ON changes
    FOR EACH ROW EXECUTE FUNCTION changes_guard();

-- changes_sequence numbers this transaction's events at commit and tells
-- every listening server which seqs to read: NOTIFY cartograph_changes
-- '<first seq> <last seq>'.
CREATE FUNCTION changes_sequence() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    base bigint;
    n    bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM changes WHERE tx = pg_current_xact_id() AND seq IS NULL) THEN
        RETURN NULL; -- numbered by an earlier firing in this transaction
    END IF;
    PERFORM pg_advisory_xact_lock(7262001);
    SELECT coalesce(max(seq), 0) INTO base FROM changes;
    WITH todo AS (
        SELECT id, row_number() OVER (ORDER BY id) AS rn
        FROM changes WHERE tx = pg_current_xact_id() AND seq IS NULL
    )
    UPDATE changes c SET seq = base + todo.rn
    FROM todo WHERE c.id = todo.id;
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM pg_notify('cartograph_changes', (base + 1)::text || ' ' || (base + n)::text);
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER changes_sequenced AFTER INSERT ON changes
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION changes_sequence();

-- record_change is the row trigger of every logged table. TG_ARGV[0] is the
-- object type; TG_ARGV[1] lists columns never recorded (the org, derived
-- columns, secrets); TG_ARGV[2] lists columns whose change alone is not an
-- event (bookkeeping such as last_used_at). Updates record only the columns
-- that changed: before holds their old values, after their new ones; a
-- create's after and a delete's before hold the whole row.
-- cartograph.key_name (set per transaction by the Go layer) names the key;
-- cartograph.bulk = 'on' (the importer) suppresses row events in favour of
-- one summary.
CREATE FUNCTION record_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    skip  text[] := TG_ARGV[1]::text[];
    quiet text[] := TG_ARGV[2]::text[];
    o     jsonb;
    n     jsonb;
    b     jsonb;
    a     jsonb;
    r     jsonb;
    obj   text;
    etype text;
    refs  text[] := '{}';
BEGIN
    IF current_setting('cartograph.bulk', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN o := to_jsonb(OLD); END IF;
    IF TG_OP <> 'DELETE' THEN n := to_jsonb(NEW); END IF;
    r := coalesce(n, o);
    IF TG_OP = 'UPDATE' THEN
        SELECT jsonb_object_agg(k, o -> k), jsonb_object_agg(k, n -> k) INTO b, a
        FROM jsonb_object_keys(n) AS k
        WHERE o -> k IS DISTINCT FROM n -> k AND NOT k = ANY (skip) AND NOT k = ANY (quiet);
        IF a IS NULL THEN
            RETURN NULL; -- nothing a reader would call a change
        END IF;
    ELSE
        b := o - skip;
        a := n - skip;
    END IF;

    CASE TG_TABLE_NAME
    WHEN 'entities' THEN
        obj := r ->> 'id';
        etype := r ->> 'type';
    WHEN 'relations' THEN
        obj := r ->> 'id';
        etype := r ->> 'label';
        refs := ARRAY[r ->> 'source_id', r ->> 'target_id'];
    WHEN 'config_domains' THEN
        obj := r ->> 'id';
        refs := ARRAY[r ->> 'slug'];
    WHEN 'configs' THEN
        obj := r ->> 'id';
        SELECT ARRAY[d.slug, r ->> 'key'] INTO refs FROM config_domains d
        WHERE d.org_id = r ->> 'org_id' AND d.id = (r ->> 'domain_id')::uuid;
    WHEN 'config_versions' THEN
        IF TG_OP = 'DELETE' THEN
            RETURN NULL; -- versions go only with their config, whose delete is the event
        END IF;
        obj := r ->> 'config_id';
        SELECT ARRAY[d.slug, c.key] INTO refs FROM configs c JOIN config_domains d ON d.org_id = c.org_id AND d.id = c.domain_id
        WHERE c.org_id = r ->> 'org_id' AND c.id = (r ->> 'config_id')::uuid;
    WHEN 'module_settings' THEN
        obj := r ->> 'id';
        refs := ARRAY[r ->> 'service_id'];
    ELSE
        obj := r ->> 'id';
    END CASE;

    INSERT INTO changes (org_id, key_name, operation, object_type, object_id, entity_type, refs, before, after)
    VALUES (r ->> 'org_id', coalesce(nullif(current_setting('cartograph.key_name', true), ''), 'system'),
            CASE TG_OP WHEN 'INSERT' THEN 'create' ELSE lower(TG_OP) END, TG_ARGV[0], obj, etype, coalesce(refs, '{}'), b, a);
    RETURN NULL;
END $$;

CREATE TRIGGER entities_changes AFTER INSERT OR UPDATE OR DELETE ON entities
    FOR EACH ROW EXECUTE FUNCTION record_change('entity', '{org_id,search_text,updated_at}', '{last_changed_by}');
CREATE TRIGGER relations_changes AFTER INSERT OR UPDATE OR DELETE ON relations
    FOR EACH ROW EXECUTE FUNCTION record_change('relation', '{org_id}', '{}');
CREATE TRIGGER config_domains_changes AFTER INSERT OR UPDATE OR DELETE ON config_domains
    FOR EACH ROW EXECUTE FUNCTION record_change('domain', '{org_id}', '{}');
CREATE TRIGGER configs_changes AFTER INSERT OR UPDATE OR DELETE ON configs
    FOR EACH ROW EXECUTE FUNCTION record_change('config', '{org_id,last_version}', '{}');
CREATE TRIGGER config_versions_changes AFTER INSERT OR DELETE ON config_versions
    FOR EACH ROW EXECUTE FUNCTION record_change('config_version', '{org_id}', '{}');
CREATE TRIGGER api_keys_changes AFTER INSERT OR UPDATE OR DELETE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION record_change('key', '{org_id,hash,last_used_at}', '{}');
CREATE TRIGGER module_settings_changes AFTER INSERT OR UPDATE OR DELETE ON module_settings
    FOR EACH ROW EXECUTE FUNCTION record_change('module_settings', '{org_id,updated_at}', '{last_changed_by}');

-- Rows that predate the log get a create event each, stamped with their own
-- creation time, so history and as-of reads start from a full state.
INSERT INTO changes (org_id, at, key_name, operation, object_type, object_id, entity_type, after)
SELECT org_id, created_at, created_by, 'create', 'entity', id::text, type,
       to_jsonb(e) - '{org_id,search_text,updated_at}'::text[]
FROM entities e ORDER BY created_at, id;
INSERT INTO changes (org_id, at, key_name, operation, object_type, object_id, entity_type, refs, after)
SELECT org_id, created_at, 'system', 'create', 'relation', id::text, label, ARRAY[source_id::text, target_id::text],
       to_jsonb(r) - 'org_id'
FROM relations r ORDER BY created_at, id;
