-- Migration 13's relation insert read its target FOR SHARE, which every
-- UPDATE of the target waits for: a description, tags or a discovery
-- agent's sync of an entity stood behind any open transaction inserting a
-- relation to it. The insert now reads it FOR KEY SHARE, the lock its
-- foreign key takes anyway, which only a delete or a key change waits for.
--
-- A change of the copied columns (type, name, provider) still has to be
-- ordered against the inserts, and now takes the stronger lock itself: the
-- rewrite of the copies moves before the row change and first locks the
-- row FOR UPDATE, which
--   * waits for an insert already holding KEY SHARE, whose relation the
--     rewrite's UPDATE (a later READ COMMITTED snapshot) then sees;
--   * makes an insert arriving later wait for the rename's commit and
--     then read the new version of the row.
-- No other BEFORE trigger changes NEW, so NEW here is the row as written.
CREATE OR REPLACE FUNCTION relations_copy_target() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT e.type, e.name, e.provider INTO NEW.target_type, NEW.target_name, NEW.target_provider
    FROM entities e WHERE e.org_id = NEW.org_id AND e.id = NEW.target_id FOR KEY SHARE;
    IF NOT FOUND THEN
        NEW.target_type := ''; NEW.target_name := ''; NEW.target_provider := '';
    END IF;
    RETURN NEW;
END $$;

DROP TRIGGER entities_copy_to_relations ON entities;

CREATE OR REPLACE FUNCTION entities_copy_to_relations() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM entities WHERE org_id = OLD.org_id AND id = OLD.id FOR UPDATE;
    UPDATE relations SET target_type = NEW.type, target_name = NEW.name, target_provider = NEW.provider
    WHERE org_id = NEW.org_id AND target_id = NEW.id;
    RETURN NEW;
END $$;

CREATE TRIGGER entities_copy_to_relations BEFORE UPDATE OF type, name, provider ON entities
    FOR EACH ROW WHEN (NEW.type IS DISTINCT FROM OLD.type OR NEW.name IS DISTINCT FROM OLD.name
        OR NEW.provider IS DISTINCT FROM OLD.provider)
    EXECUTE FUNCTION entities_copy_to_relations();
