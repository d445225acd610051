-- Per-service daily cost totals: for each service and day, the sum of the
-- TOTAL costs of the distinct resources its environments contain (service
-- -has_environment-> environment -contains-> resource), the answer of a
-- service's cost rollup. Reading 7 days of 20 services is 140 rows here
-- instead of ~2,000 cost rows found through ~300 resources.
--
-- The statement triggers below keep it exact in every transaction that
-- writes costs or these two relations; the bulk import, which runs with
-- row triggers off, fills it itself. A day with no cost has no row.
CREATE TABLE service_costs (
    org_id     text          NOT NULL,
    service_id uuid          NOT NULL,
    date       date          NOT NULL,
    cost       numeric(20,4) NOT NULL,
    PRIMARY KEY (org_id, service_id, date) INCLUDE (cost)
);

-- service_cost_cells lists the cells to recompute: (org, service, day),
-- or (org, service, NULL) for every day of the service, which makes its
-- single days redundant. The three arrays run in parallel.
CREATE FUNCTION service_cost_cells(orgs text[], services uuid[], days date[])
RETURNS TABLE (o text, s uuid, d date) LANGUAGE sql STABLE AS $$
    SELECT DISTINCT o, s, d
      FROM (SELECT o, s, d, bool_or(d IS NULL) OVER (PARTITION BY o, s) AS whole
              FROM unnest(orgs, services, days) AS x(o, s, d)) c
     WHERE d IS NULL OR NOT whole
$$;

-- refresh_service_costs recomputes those cells. Writers that touch a
-- service take turns through an advisory lock (one of 256 stripes, taken
-- in order, so a write to thousands of services stays within the lock
-- table), and each recomputes with a fresh READ COMMITTED snapshot once it
-- has the lock: whichever commits last has seen every other's rows, so
-- concurrent writers lose nothing.
CREATE FUNCTION refresh_service_costs(orgs text[], services uuid[], days date[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(2026120209, stripe)
       FROM (SELECT DISTINCT (abs(hashtext(o || '/' || s::text)) % 256)::int AS stripe
               FROM unnest(orgs, services) AS x(o, s) ORDER BY 1) l;
    DELETE FROM service_costs sc USING service_cost_cells(orgs, services, days) c
     WHERE sc.org_id = c.o AND sc.service_id = c.s AND (c.d IS NULL OR sc.date = c.d);
    INSERT INTO service_costs (org_id, service_id, date, cost)
    SELECT r.o, r.s, k.date, sum(k.cost)
      FROM (SELECT DISTINCT c.o, c.s, c.d, rc.target_id AS res
              FROM service_cost_cells(orgs, services, days) c
              JOIN relations h ON h.org_id = c.o AND h.source_id = c.s AND h.label = 'has_environment'
              JOIN relations rc ON rc.org_id = h.org_id AND rc.source_id = h.target_id AND rc.label = 'contains') r
      JOIN costs k ON k.org_id = r.o AND k.resource_id = r.res AND k.operation = 'TOTAL'
                  AND (r.d IS NULL OR k.date = r.d)
     GROUP BY r.o, r.s, k.date;
END $$;

-- A cost row changes its day of every service whose environments contain
-- its resource. Each trigger names its transition table changed_rows.
CREATE FUNCTION costs_refresh_services() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    orgs text[]; services uuid[]; days date[];
BEGIN
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

-- A has_environment edge changes every day of its service; a contains edge
-- every day of the services that have its environment.
CREATE FUNCTION relations_refresh_services() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    orgs text[]; services uuid[];
BEGIN
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

CREATE TRIGGER costs_services_insert AFTER INSERT ON costs
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION costs_refresh_services();
CREATE TRIGGER costs_services_delete AFTER DELETE ON costs
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION costs_refresh_services();
CREATE TRIGGER costs_services_update_old AFTER UPDATE ON costs
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION costs_refresh_services();
CREATE TRIGGER costs_services_update_new AFTER UPDATE ON costs
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION costs_refresh_services();
CREATE TRIGGER relations_services_insert AFTER INSERT ON relations
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION relations_refresh_services();
CREATE TRIGGER relations_services_delete AFTER DELETE ON relations
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION relations_refresh_services();
CREATE TRIGGER relations_services_update_old AFTER UPDATE ON relations
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION relations_refresh_services();
CREATE TRIGGER relations_services_update_new AFTER UPDATE ON relations
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION relations_refresh_services();

-- Fill it for the catalog as it stands.
SELECT refresh_service_costs(array_agg(org_id), array_agg(source_id), array_fill(NULL::date, ARRAY[count(*)::int]))
  FROM (SELECT DISTINCT org_id, source_id FROM relations WHERE label = 'has_environment') s
HAVING count(*) > 0;
