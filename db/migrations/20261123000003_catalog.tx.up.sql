-- The catalog: entities of every type in one table, relations between them,
-- and module settings of services.
--
-- Shared columns are columns; provider fields are columns too (several types
-- share them, filters and the resource identity use them); the rest of a
-- type's fields live in attrs (jsonb), keyed by their API names.
CREATE TABLE entities (
    org_id                 text        NOT NULL,
    id                     uuid        NOT NULL DEFAULT gen_random_uuid(),
    type                   text        NOT NULL CHECK (type IN ('application', 'system', 'service', 'resource',
                               'environment', 'person', 'api', 'repository', 'library', 'manifest', 'team', 'base')),
    name                   text        NOT NULL,
    description            text        NOT NULL DEFAULT '',
    tags                   text[]      NOT NULL DEFAULT '{}',
    meta_tags              jsonb       NOT NULL DEFAULT '[]',
    links                  jsonb       NOT NULL DEFAULT '[]',
    permissions            jsonb       NOT NULL DEFAULT '{}',
    general_access         text[]      NOT NULL DEFAULT '{}',
    origin                 text        NOT NULL DEFAULT 'MANUAL' CHECK (origin IN ('MANUAL', 'DISCOVERY')),
    created_by             text        NOT NULL,
    last_changed_by        text        NOT NULL,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    provider               text        NOT NULL DEFAULT '',
    provider_type          text        NOT NULL DEFAULT '',
    provider_resource_key  text        NOT NULL DEFAULT '',
    provider_resource_type text        NOT NULL DEFAULT '',
    provider_account_id    text        NOT NULL DEFAULT '',
    location               text        NOT NULL DEFAULT '',
    attrs                  jsonb       NOT NULL DEFAULT '{}',
    PRIMARY KEY (org_id, id)
);

--bun:split

-- Name uniqueness (CONTRACT.md §4): per org and type, case-insensitive, for
-- every type but resource, whose identity is its provider key.
CREATE UNIQUE INDEX entities_name_key ON entities (org_id, type, lower(name)) WHERE type <> 'resource';

--bun:split

CREATE UNIQUE INDEX entities_resource_identity ON entities (org_id, provider, provider_account_id, provider_resource_key)
    WHERE type = 'resource';

--bun:split

-- Listing and paging by name in byte order, per type and across types.
CREATE INDEX entities_type_name ON entities (org_id, type, name COLLATE "C", id);

--bun:split

CREATE INDEX entities_name ON entities (org_id, name COLLATE "C", id);

--bun:split

CREATE INDEX entities_tags ON entities USING gin (tags);

--bun:split

CREATE INDEX entities_meta_tags ON entities USING gin (meta_tags jsonb_path_ops);

--bun:split

-- Relations: directed, labelled (label '' with a field for custom relations),
-- indexed in both directions. Deleting an entity deletes its relations with it.
CREATE TABLE relations (
    org_id     text        NOT NULL,
    id         uuid        NOT NULL DEFAULT gen_random_uuid(),
    source_id  uuid        NOT NULL,
    target_id  uuid        NOT NULL,
    label      text        NOT NULL,
    field      text        NOT NULL DEFAULT '',
    service_id uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, source_id) REFERENCES entities (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, target_id) REFERENCES entities (org_id, id) ON DELETE CASCADE
);

--bun:split

CREATE UNIQUE INDEX relations_key ON relations (org_id, source_id, label, target_id, field);

--bun:split

CREATE INDEX relations_target ON relations (org_id, target_id, label, source_id);

--bun:split

CREATE TABLE module_settings (
    org_id     text        NOT NULL,
    id         uuid        NOT NULL DEFAULT gen_random_uuid(),
    service_id uuid        NOT NULL,
    doc        jsonb       NOT NULL,
    created_by text        NOT NULL,
    last_changed_by text   NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, service_id) REFERENCES entities (org_id, id) ON DELETE CASCADE
);

--bun:split

CREATE INDEX module_settings_service ON module_settings (org_id, service_id);
