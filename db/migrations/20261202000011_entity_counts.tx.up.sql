-- How many entities each org has of each type, so that an unfiltered total
-- (the REST query builder's totalFound, GraphQL's totalCount) is a read of
-- a few rows instead of a count of every entity of the type: counting 10,000
-- services took 2.4 ms of PostgreSQL time per request, more than the page.
--
-- A type's count is the sum of its stripes. A writer adds to the stripe of
-- its backend (pg_backend_pid() % 16), so concurrent writers of one org
-- mostly touch different rows instead of queueing on one; a stripe may go
-- negative (an entity counted on one stripe and removed on another).
CREATE TABLE entity_counts (
    org_id text     NOT NULL,
    type   text     NOT NULL,
    stripe smallint NOT NULL,
    n      bigint   NOT NULL,
    PRIMARY KEY (org_id, type, stripe)
);

-- add_entity_counts adds ns[i] entities of types[i] to an org's counts.
-- Writers of one org and stripe take turns through an advisory lock first:
-- a transaction may add to several types' rows over several statements, in
-- any order, and two such transactions on one stripe would otherwise
-- deadlock on the rows.
CREATE FUNCTION add_entity_counts(org text, types text[], ns bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    s smallint := pg_backend_pid() % 16;
BEGIN
    PERFORM pg_advisory_xact_lock(2026120211, hashtext(org || '/' || s));
    INSERT INTO entity_counts AS c (org_id, type, stripe, n)
    SELECT org, t, s, sum(k) FROM unnest(types, ns) AS x(t, k) GROUP BY t ORDER BY t
        ON CONFLICT (org_id, type, stripe) DO UPDATE SET n = c.n + excluded.n;
END $$;

-- The triggers count what a statement inserted or deleted. They step aside
-- under cartograph.bulk: the bulk import adds its own counts, as it fills
-- service_costs (migration 10). Every entity write is scoped to one org.
CREATE FUNCTION entities_count() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    sign bigint := CASE TG_OP WHEN 'DELETE' THEN -1 ELSE 1 END;
    r record;
BEGIN
    IF current_setting('cartograph.bulk', true) = 'on' THEN
        RETURN NULL;
    END IF;
    FOR r IN SELECT org_id, array_agg(type) AS types, array_agg(n) AS ns
               FROM (SELECT org_id, type, sign * count(*) AS n FROM changed_rows GROUP BY 1, 2) c
              GROUP BY org_id ORDER BY org_id LOOP
        PERFORM add_entity_counts(r.org_id, r.types, r.ns);
    END LOOP;
    RETURN NULL;
END $$;

CREATE TRIGGER entities_count_insert AFTER INSERT ON entities
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION entities_count();
CREATE TRIGGER entities_count_delete AFTER DELETE ON entities
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION entities_count();

-- The counts hold only if an entity keeps its org and type, which no API
-- changes; this says so where a change would otherwise go uncounted.
CREATE FUNCTION entities_keep_kind() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'an entity''s org_id and type do not change' USING ERRCODE = 'check_violation';
END $$;

CREATE TRIGGER entities_keep_kind BEFORE UPDATE OF org_id, type ON entities FOR EACH ROW
    WHEN (OLD.org_id IS DISTINCT FROM NEW.org_id OR OLD.type IS DISTINCT FROM NEW.type)
    EXECUTE FUNCTION entities_keep_kind();

-- Count the catalog as it stands. CREATE TRIGGER above locked out writers
-- until this transaction commits, so no entity is counted twice or missed.
INSERT INTO entity_counts (org_id, type, stripe, n)
SELECT org_id, type, 0, count(*) FROM entities GROUP BY org_id, type;
