-- An UPDATE of relations moves service costs only where it moves an edge:
-- where a (org_id, source_id, label, target_id) appears or disappears. Since
-- migration 13 the one writer that updates relations is the rewrite of a
-- renamed target's copies (type, name, provider), which moves no edge, yet
-- migration 9's two update triggers refreshed every day of every service
-- above the rows it touched, twice: renaming an environment or a resource
-- took 3.3-5.2 ms instead of 0.6-1.3 ms at scale 10. One trigger now sees
-- both transition tables and refreshes the services of the edges that
-- moved, old and new, through the one function that inserts and deletes
-- use too.
DROP TRIGGER relations_services_update_old ON relations;
DROP TRIGGER relations_services_update_new ON relations;

-- The totals an edge weighs on: a has_environment edge its source's, a
-- contains edge those of the services having its environment. Inserts,
-- deletes and (below) updates of relations all refresh through it.
CREATE FUNCTION refresh_services_of_edges(orgs text[], sources uuid[], labels text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    o text[]; s uuid[];
BEGIN
    SELECT array_agg(x.o), array_agg(x.s) INTO o, s
      FROM (SELECT m.o, m.s FROM unnest(orgs, sources, labels) AS m(o, s, l) WHERE m.l = 'has_environment'
            UNION
            SELECT m.o, h.source_id FROM unnest(orgs, sources, labels) AS m(o, s, l)
              JOIN relations h ON h.org_id = m.o AND h.target_id = m.s AND h.label = 'has_environment'
             WHERE m.l = 'contains') x;
    IF o IS NOT NULL THEN
        PERFORM refresh_service_costs(o, s, array_fill(NULL::date, ARRAY[cardinality(o)]));
    END IF;
END $$;

CREATE OR REPLACE FUNCTION relations_refresh_services() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('cartograph.bulk', true) = 'on' THEN
        RETURN NULL;
    END IF;
    PERFORM refresh_services_of_edges(array_agg(org_id), array_agg(source_id), array_agg(label)) FROM changed_rows;
    RETURN NULL;
END $$;

CREATE FUNCTION relations_refresh_moved_services() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('cartograph.bulk', true) = 'on' THEN
        RETURN NULL;
    END IF;
    PERFORM refresh_services_of_edges(array_agg(org_id), array_agg(source_id), array_agg(label))
       FROM ((SELECT org_id, source_id, label, target_id FROM old_rows
              EXCEPT ALL SELECT org_id, source_id, label, target_id FROM new_rows)
             UNION ALL
             (SELECT org_id, source_id, label, target_id FROM new_rows
              EXCEPT ALL SELECT org_id, source_id, label, target_id FROM old_rows)) moved;
    RETURN NULL;
END $$;

CREATE TRIGGER relations_services_update AFTER UPDATE ON relations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION relations_refresh_moved_services();
