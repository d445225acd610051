-- Cost rollups read (resource, TOTAL, a date range) and only the cost. With
-- the key ordered (org, resource, operation, date) that range is one
-- contiguous index scan, and INCLUDE (cost) answers it from the index alone
-- (an index-only scan once the table is vacuumed). The key's columns are the
-- same, so upserts' ON CONFLICT (org_id, resource_id, date, operation) still
-- finds it.
ALTER TABLE costs
    DROP CONSTRAINT costs_pkey,
    ADD CONSTRAINT costs_pkey PRIMARY KEY (org_id, resource_id, operation, date) INCLUDE (cost);
