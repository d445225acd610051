-- API keys. Only a SHA-256 hash of the secret and a short display prefix are
-- stored. The hash index is the one global lookup in the schema: a key arrives
-- before its org is known.
CREATE TABLE api_keys (
    org_id       text        NOT NULL,
    id           uuid        NOT NULL DEFAULT gen_random_uuid(),
    name         text        NOT NULL,
    prefix       text        NOT NULL,
    hash         bytea       NOT NULL,
    scope        text        NOT NULL CHECK (scope IN ('read', 'write')),
    role         text        NOT NULL CHECK (role IN ('admin', 'user')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz,
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, name)
);

--bun:split

CREATE UNIQUE INDEX api_keys_hash_key ON api_keys (hash);
