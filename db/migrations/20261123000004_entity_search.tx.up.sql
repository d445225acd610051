-- Substring search (searchTerms) through trigram indexes. search_text is the
-- lower-cased name, description and tags, kept by the write path (tags cannot
-- feed a generated column: array_to_string is not immutable).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

--bun:split

ALTER TABLE entities ADD COLUMN search_text text NOT NULL DEFAULT '';

--bun:split

UPDATE entities SET search_text = lower(name || chr(31) || description || chr(31) || array_to_string(tags, chr(31)));

--bun:split

CREATE INDEX entities_search_text ON entities USING gin (search_text gin_trgm_ops);

--bun:split

CREATE INDEX entities_name_trgm ON entities USING gin (lower(name) gin_trgm_ops);
