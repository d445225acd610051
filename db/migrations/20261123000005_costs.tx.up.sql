-- Daily resource costs: one row per resource, day and operation; TOTAL is the
-- day's total. numeric(14,4) keeps sums exact. Deleting a resource deletes
-- its costs.
CREATE TABLE costs (
    org_id      text          NOT NULL,
    resource_id uuid          NOT NULL,
    date        date          NOT NULL,
    operation   text          NOT NULL,
    cost        numeric(14,4) NOT NULL,
    arn         text          NOT NULL DEFAULT '',
    updated_at  timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, resource_id, date, operation),
    FOREIGN KEY (org_id, resource_id) REFERENCES entities (org_id, id) ON DELETE CASCADE
);
