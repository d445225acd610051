-- An UPDATE of relations moves service costs only where it moves an edge:
-- where a (org_id, source_id, label, target_id) appears or disappears. Since
-- migration 13 the one writer that updates relations is the rewrite of a
-- renamed target's copies (type, name, provider), which moves no edge, yet
-- migration 9's two update triggers refreshed every day of every service
-- above the rows it touched, twice: a renamed environment cost ~20 ms
-- instead of ~1 ms at scale 10, a renamed resource one refresh per service
-- of each environment holding it. One trigger now sees both transition
-- tables and refreshes the services of the edges that moved, old and new.
DROP TRIGGER relations_services_update_old ON relations;
DROP TRIGGER relations_services_update_new ON relations;

CREATE FUNCTION relations_refresh_moved_services() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    orgs text[]; services uuid[];
BEGIN
    IF current_setting('cartograph.bulk', true) = 'on' THEN
        RETURN NULL;
    END IF;
    WITH moved AS (
        (SELECT org_id, source_id, label, target_id FROM old_rows
         EXCEPT ALL SELECT org_id, source_id, label, target_id FROM new_rows)
        UNION ALL
        (SELECT org_id, source_id, label, target_id FROM new_rows
         EXCEPT ALL SELECT org_id, source_id, label, target_id FROM old_rows))
    SELECT array_agg(o), array_agg(s) INTO orgs, services
      FROM (SELECT org_id AS o, source_id AS s FROM moved WHERE label = 'has_environment'
            UNION
            SELECT m.org_id, h.source_id FROM moved m
              JOIN relations h ON h.org_id = m.org_id AND h.target_id = m.source_id AND h.label = 'has_environment'
             WHERE m.label = 'contains') x;
    IF orgs IS NOT NULL THEN
        PERFORM refresh_service_costs(orgs, services, array_fill(NULL::date, ARRAY[cardinality(orgs)]));
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER relations_services_update AFTER UPDATE ON relations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relations_refresh_moved_services();
