-- Every server process caches authenticated keys (db/keycache.go) and drops
-- its cache when a key's authority changes anywhere: revocation, expiry,
-- scope, role, name or deletion. The notification is sent at commit. Writes of
-- last_used_at alone do not notify, so caches survive the minutely bookkeeping.
CREATE FUNCTION notify_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('cartograph_keys', '');
    RETURN NULL;
END $$;

CREATE TRIGGER api_keys_notify
    AFTER UPDATE OF org_id, name, hash, scope, role, expires_at, revoked_at OR DELETE ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION notify_keys();
