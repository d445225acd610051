package db

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"cartograph/cartograph"
)

// Keys stores API keys: only the SHA-256 hash of each secret and a short
// display prefix, never the secret itself.
type Keys struct {
	db    *bun.DB
	cache keyCache // on while DB.WatchKeys runs
	// usedEvery bounds how often a key's last-used time is written, so
	// authenticating is a single read on most requests (lastUsedEvery).
	usedEvery time.Duration
}

// Key format: "c8ak_" and 40 base62 characters (238 bits of randomness).
const (
	keyPrefix     = "c8ak_"
	keySecretLen  = 40
	displayPrefix = len(keyPrefix) + 6
	base62        = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	// lastUsedEvery is Keys.usedEvery outside tests.
	lastUsedEvery = time.Minute
)

type apiKeyRow struct {
	bun.BaseModel `bun:"table:api_keys"`

	OrgID      string     `bun:"org_id,pk"`
	ID         string     `bun:"id,pk,type:uuid,default:gen_random_uuid()"`
	Name       string     `bun:"name"`
	Prefix     string     `bun:"prefix"`
	Hash       []byte     `bun:"hash"`
	Scope      string     `bun:"scope"`
	Role       string     `bun:"role"`
	CreatedAt  time.Time  `bun:"created_at,nullzero,default:now()"`
	ExpiresAt  *time.Time `bun:"expires_at"`
	LastUsedAt *time.Time `bun:"last_used_at"`
	RevokedAt  *time.Time `bun:"revoked_at"`
}

func (r *apiKeyRow) domain() *cartograph.APIKey {
	return &cartograph.APIKey{
		ID:         r.ID,
		OrgID:      r.OrgID,
		Name:       r.Name,
		Prefix:     r.Prefix,
		Scope:      cartograph.Scope(r.Scope),
		Role:       cartograph.Role(r.Role),
		CreatedAt:  r.CreatedAt.UTC(),
		ExpiresAt:  utcPtr(r.ExpiresAt),
		LastUsedAt: utcPtr(r.LastUsedAt),
		Revoked:    r.RevokedAt != nil,
	}
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// Authenticate returns the caller a secret stands for. It returns
// Unauthenticated when the secret is malformed, unknown, expired or revoked.
// While DB.WatchKeys runs, a key seen before costs no statement (but one a
// minute to keep last_used_at).
func (k *Keys) Authenticate(ctx context.Context, secret string) (*cartograph.Actor, error) {
	if !wellFormed(secret) {
		return nil, cartograph.Errorf(cartograph.Unauthenticated, "The API key is malformed")
	}
	sum := sha256.Sum256([]byte(secret))
	e, cached, gen := k.cache.get(sum)
	if !cached {
		var row apiKeyRow
		err := k.db.NewSelect().Model(&row).Where("hash = ?", sum[:]).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, cartograph.Errorf(cartograph.Unauthenticated, "The API key is not valid")
		}
		if err != nil {
			return nil, wrap(err)
		}
		if row.RevokedAt != nil {
			return nil, cartograph.Errorf(cartograph.Unauthenticated, "The API key has been revoked")
		}
		e = keyEntry{
			actor: cartograph.Actor{
				KeyID:   row.ID,
				KeyName: row.Name,
				OrgID:   row.OrgID,
				Scope:   cartograph.Scope(row.Scope),
				Role:    cartograph.Role(row.Role),
			},
			expiresAt: row.ExpiresAt,
		}
		if row.LastUsedAt != nil {
			e.usedAt = *row.LastUsedAt
		}
		k.cache.put(sum, e, gen)
	}
	now := time.Now()
	if e.expiresAt != nil && !now.Before(*e.expiresAt) {
		return nil, cartograph.Errorf(cartograph.Unauthenticated, "The API key has expired")
	}
	// A cached key's write is claimed by one request: the others carry on
	// rather than queue on the same row. Under 16 concurrent requests with
	// one key, all 16 wrote it each minute, waiting on one another.
	if now.Sub(e.usedAt) > k.usedEvery && (!cached || k.cache.claimTouch(sum, now, k.usedEvery)) {
		_, err := k.db.NewUpdate().Model((*apiKeyRow)(nil)).
			Set("last_used_at = now()").
			Where("org_id = ? AND id = ?", e.actor.OrgID, e.actor.KeyID).
			Exec(ctx)
		if err != nil {
			return nil, wrap(err)
		}
		if !cached {
			k.cache.touch(sum, now)
		}
	}
	actor := e.actor
	return &actor, nil
}

func wellFormed(secret string) bool {
	if len(secret) != len(keyPrefix)+keySecretLen || !strings.HasPrefix(secret, keyPrefix) {
		return false
	}
	for _, c := range secret[len(keyPrefix):] {
		if !strings.ContainsRune(base62, c) {
			return false
		}
	}
	return true
}

// Create makes a key in the caller's org. The caller must be an admin with
// write scope; in.OrgID must be empty or the caller's org (else Forbidden).
func (k *Keys) Create(ctx context.Context, in cartograph.NewAPIKey) (*cartograph.CreatedAPIKey, error) {
	a, err := cartograph.CanAdmin(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := cartograph.CanWrite(ctx); err != nil {
		return nil, err
	}
	if in.OrgID != "" && in.OrgID != a.OrgID {
		return nil, cartograph.Errorf(cartograph.Forbidden, "A key can only create keys in its own org")
	}
	in.OrgID = a.OrgID
	return k.Issue(ctx, in)
}

// Issue makes a key in in.OrgID (the default org when empty) and returns it
// with its secret, which is shown this once. It returns Invalid for bad input
// and Conflict when the org has a key of that name.
//
// SECURITY: callers must check access; Issue serves the command line and the
// bootstrap key.
func (k *Keys) Issue(ctx context.Context, in cartograph.NewAPIKey) (*cartograph.CreatedAPIKey, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	secret := newSecret()
	sum := sha256.Sum256([]byte(secret))
	row := &apiKeyRow{
		OrgID:  in.OrgID,
		Name:   in.Name,
		Prefix: secret[:displayPrefix],
		Hash:   sum[:],
		Scope:  string(in.Scope),
		Role:   string(in.Role),
	}
	if in.ExpiresIn != nil {
		t := time.Now().Add(*in.ExpiresIn)
		row.ExpiresAt = &t
	}
	_, err := execTx(ctx, k.db, func(ctx context.Context, tx bun.Tx) (sql.Result, error) {
		return tx.NewInsert().Model(row).Returning("*").Exec(ctx)
	})
	if isUniqueViolation(err, "api_keys_org_id_name_key") {
		return nil, &cartograph.Error{Code: cartograph.Conflict, Field: "name",
			Message: "A key named " + in.Name + " already exists in org " + in.OrgID}
	}
	if err != nil {
		return nil, wrap(err)
	}
	return &cartograph.CreatedAPIKey{Key: row.domain(), Secret: secret}, nil
}

func newSecret() string {
	var b strings.Builder
	b.WriteString(keyPrefix)
	buf := make([]byte, 64)
	for b.Len() < len(keyPrefix)+keySecretLen {
		_, _ = rand.Read(buf) // never fails on Linux (Go 1.24+ crashes instead)
		for _, c := range buf {
			// 248 = 4*62: rejecting larger bytes keeps every character equally likely.
			if c < 248 && b.Len() < len(keyPrefix)+keySecretLen {
				b.WriteByte(base62[c%62])
			}
		}
	}
	return b.String()
}

// List returns the keys of the caller's org, by name. The caller must be an admin.
func (k *Keys) List(ctx context.Context) ([]*cartograph.APIKey, error) {
	a, err := cartograph.CanAdmin(ctx)
	if err != nil {
		return nil, err
	}
	return k.list(ctx, a.OrgID)
}

// ListAll returns the keys of every org, by org and name.
//
// SECURITY: callers must check access; it serves the command line.
func (k *Keys) ListAll(ctx context.Context) ([]*cartograph.APIKey, error) {
	return k.list(ctx, "")
}

func (k *Keys) list(ctx context.Context, org string) ([]*cartograph.APIKey, error) {
	var rows []apiKeyRow
	q := k.db.NewSelect().Model(&rows).OrderExpr("org_id, name")
	if org != "" {
		q.Where("org_id = ?", org)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, wrap(err)
	}
	out := make([]*cartograph.APIKey, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, nil
}

// Revoke revokes the caller's org's key named name: at once in this process, and
// in the others on the key-change notification (WatchKeys). The caller must
// be an admin with write scope; NotFound if no such key.
func (k *Keys) Revoke(ctx context.Context, name string) (*cartograph.APIKey, error) {
	a, err := cartograph.CanAdmin(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := cartograph.CanWrite(ctx); err != nil {
		return nil, err
	}
	return k.RevokeIn(ctx, a.OrgID, name)
}

// RevokeIn revokes the key named name; an empty org means any org, provided
// only one has such a key (else Conflict, asking for the org). Revoking a
// revoked key changes nothing.
//
// SECURITY: callers must check access; it serves the command line.
func (k *Keys) RevokeIn(ctx context.Context, org, name string) (*cartograph.APIKey, error) {
	var rows []apiKeyRow
	err := inTx(ctx, k.db, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewUpdate().Model(&rows).
			Set("revoked_at = coalesce(revoked_at, now())").
			Where("name = ?", name).
			Apply(orgFilter(org)).
			Returning("*").
			Exec(ctx); err != nil {
			return err
		}
		if len(rows) > 1 {
			return cartograph.Errorf(cartograph.Conflict, "Keys named %s exist in %d orgs: name the org", name, len(rows))
		}
		return nil
	})
	if err != nil {
		return nil, wrap(err)
	}
	// This process's cache drops the key now; the others on the notification.
	k.cache.drop()
	if len(rows) == 0 {
		return nil, cartograph.Errorf(cartograph.NotFound, "No key named %s", name)
	}
	return rows[0].domain(), nil
}

func orgFilter(org string) func(*bun.UpdateQuery) *bun.UpdateQuery {
	return func(q *bun.UpdateQuery) *bun.UpdateQuery {
		if org != "" {
			q = q.Where("org_id = ?", org)
		}
		return q
	}
}

// Bootstrap creates an admin key with write scope in the default org when the
// database has no key at all, so a first run can be used at once. It returns
// nil when keys exist. Server processes starting together create one key.
func (d *DB) Bootstrap(ctx context.Context) (*cartograph.CreatedAPIKey, error) {
	var created *cartograph.CreatedAPIKey
	err := d.withAdvisoryLock(ctx, migrationLockID, func() error {
		n, err := d.bun.NewSelect().Model((*apiKeyRow)(nil)).Count(ctx)
		if err != nil || n > 0 {
			return err
		}
		created, err = d.Keys.Issue(ctx, cartograph.NewAPIKey{
			Name: "bootstrap", OrgID: cartograph.DefaultOrg,
			Scope: cartograph.ScopeWrite, Role: cartograph.RoleAdmin,
		})
		return err
	})
	return created, wrap(err)
}
