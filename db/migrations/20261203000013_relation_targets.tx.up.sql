-- Each relation carries its target's type, name and provider, so a nested
-- GraphQL level that shows only those (Q2's dependencies, environments and
-- resources: docs/benchmarks.md) reads one index and no entity: the index
-- below returns a parent's targets of one label and type already in name
-- order, with nothing to probe, fetch or sort per row. Before, every target
-- cost a hash-index probe and a heap fetch of its (wide) entity row, and
-- every parent a sort.
--
-- The copies are kept by the triggers below, inside the writing
-- transaction:
--   * an insert (or a new target) copies the target's columns, reading the
--     entity FOR SHARE: a rename in flight (which holds the row FOR NO KEY
--     UPDATE) makes the insert wait for it and read the new name;
--   * a change of an entity's type, name or provider rewrites the relations
--     that point at it (relations_target leads with the target), after
--     taking its row lock, so a relation inserted meanwhile is seen once
--     its transaction commits.
-- The importer fills them itself in its INSERT ... SELECT (its row triggers
-- are off under session_replication_role = replica).
ALTER TABLE relations
    ADD COLUMN target_type text,
    ADD COLUMN target_name text,
    ADD COLUMN target_provider text;

UPDATE relations r SET target_type = e.type, target_name = e.name, target_provider = e.provider
FROM entities e WHERE e.org_id = r.org_id AND e.id = r.target_id;

ALTER TABLE relations
    ALTER COLUMN target_type SET NOT NULL,
    ALTER COLUMN target_name SET NOT NULL,
    ALTER COLUMN target_provider SET NOT NULL;

CREATE INDEX relations_targets_by_name ON relations
    (org_id, source_id, label, target_type, target_name COLLATE "C", target_id) INCLUDE (target_provider);

-- A missing target leaves '' in place so that the foreign key, checked
-- after this trigger, reports the relation's error as before.
CREATE FUNCTION relations_copy_target() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT e.type, e.name, e.provider INTO NEW.target_type, NEW.target_name, NEW.target_provider
    FROM entities e WHERE e.org_id = NEW.org_id AND e.id = NEW.target_id FOR SHARE;
    IF NOT FOUND THEN
        NEW.target_type := ''; NEW.target_name := ''; NEW.target_provider := '';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER relations_copy_target_insert BEFORE INSERT ON relations
    FOR EACH ROW WHEN (NEW.target_name IS NULL) EXECUTE FUNCTION relations_copy_target();
CREATE TRIGGER relations_copy_target_update BEFORE UPDATE OF org_id, target_id ON relations
    FOR EACH ROW WHEN (NEW.org_id IS DISTINCT FROM OLD.org_id OR NEW.target_id IS DISTINCT FROM OLD.target_id)
    EXECUTE FUNCTION relations_copy_target();

CREATE FUNCTION entities_copy_to_relations() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE relations SET target_type = NEW.type, target_name = NEW.name, target_provider = NEW.provider
    WHERE org_id = NEW.org_id AND target_id = NEW.id;
    RETURN NULL;
END $$;

CREATE TRIGGER entities_copy_to_relations AFTER UPDATE OF type, name, provider ON entities
    FOR EACH ROW WHEN (NEW.type IS DISTINCT FROM OLD.type OR NEW.name IS DISTINCT FROM OLD.name
        OR NEW.provider IS DISTINCT FROM OLD.provider)
    EXECUTE FUNCTION entities_copy_to_relations();

-- The copies are not part of a relation as its readers know it: the change
-- log leaves them out, and a rename's rewrite of them is no relation event.
DROP TRIGGER relations_changes ON relations;
CREATE TRIGGER relations_changes AFTER INSERT OR UPDATE OR DELETE ON relations
    FOR EACH ROW EXECUTE FUNCTION record_change('relation', '{org_id,target_type,target_name,target_provider}', '{}');
