-- The config store: domains, their configs, and each config's versions.
-- created_at uses clock_timestamp() so that domains created one after another
-- in a session keep their order even within one transaction.
CREATE TABLE config_domains (
    org_id     text        NOT NULL,
    id         uuid        NOT NULL DEFAULT gen_random_uuid(),
    slug       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, slug)
);

--bun:split

CREATE INDEX config_domains_created ON config_domains (org_id, created_at, id);

--bun:split

-- last_version is the number of the newest version: creating a version bumps
-- it under the row lock, which serialises concurrent creates on one config.
-- No ON DELETE CASCADE from domains: a domain with configs cannot be deleted.
CREATE TABLE configs (
    org_id       text         NOT NULL,
    id           uuid         NOT NULL DEFAULT gen_random_uuid(),
    domain_id    uuid         NOT NULL,
    key          varchar(512) NOT NULL,
    created_at   timestamptz  NOT NULL DEFAULT clock_timestamp(),
    last_version integer      NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, domain_id, key),
    FOREIGN KEY (org_id, domain_id) REFERENCES config_domains (org_id, id)
);

--bun:split

-- value is json, not jsonb: json keeps the text as sent, so 1.0 stays 1.0.
CREATE TABLE config_versions (
    org_id     text        NOT NULL,
    config_id  uuid        NOT NULL,
    version    integer     NOT NULL CHECK (version > 0),
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    value      json        NOT NULL CHECK (json_typeof(value) IN ('string', 'number', 'boolean')),
    PRIMARY KEY (org_id, config_id, version),
    FOREIGN KEY (org_id, config_id) REFERENCES configs (org_id, id) ON DELETE CASCADE
);
