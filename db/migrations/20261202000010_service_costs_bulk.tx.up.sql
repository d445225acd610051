-- The service-cost triggers (migration 9) step aside under cartograph.bulk,
-- as the change-log triggers do: the bulk import fills service_costs itself
-- (summed as its costs stream in, or one set-based refresh). Its statements
-- carry hundreds of thousands of rows, and planned over a transition table
-- without statistics, the triggers' joins ran for many minutes on one
-- scale-1 import by a role that may not turn triggers off.
CREATE OR REPLACE FUNCTION costs_refresh_services() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    orgs text[]; services uuid[]; days date[];
BEGIN
    IF current_setting('cartograph.bulk', true) = 'on' THEN
        RETURN NULL;
    END IF;
    SELECT array_agg(o), array_agg(s), array_agg(d) INTO orgs, services, days
      FROM (SELECT DISTINCT n.org_id AS o, h.source_id AS s, n.date AS d
              FROM changed_rows n
              JOIN relations rc ON rc.org_id = n.org_id AND rc.target_id = n.resource_id AND rc.label = 'contains'
              JOIN relations h ON h.org_id = rc.org_id AND h.target_id = rc.source_id AND h.label = 'has_environment'
             WHERE n.operation = 'TOTAL') x;
    IF orgs IS NOT NULL THEN
        PERFORM refresh_service_costs(orgs, services, days);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION relations_refresh_services() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    orgs text[]; services uuid[];
BEGIN
    IF current_setting('cartograph.bulk', true) = 'on' THEN
        RETURN NULL;
    END IF;
    SELECT array_agg(o), array_agg(s) INTO orgs, services
      FROM (SELECT org_id AS o, source_id AS s FROM changed_rows WHERE label = 'has_environment'
            UNION
            SELECT r.org_id, h.source_id FROM changed_rows r
              JOIN relations h ON h.org_id = r.org_id AND h.target_id = r.source_id AND h.label = 'has_environment'
             WHERE r.label = 'contains') x;
    IF orgs IS NOT NULL THEN
        PERFORM refresh_service_costs(orgs, services, array_fill(NULL::date, ARRAY[cardinality(orgs)]));
    END IF;
    RETURN NULL;
END $$;
