package db_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"cartograph/cartograph"
	"cartograph/db"
	"cartograph/db/dbtest"
)

var testDB *db.DB

// uniqueOrg is dbtest.UniqueOrg, short for the many tests that call it.
var uniqueOrg = dbtest.UniqueOrg

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m, &testDB)) }

// createService creates a service of that name in ctx's org and returns its id.
func createService(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	e, err := testDB.Entities.Create(ctx, cartograph.EntityInput{Type: cartograph.Service,
		Fields: map[string]json.RawMessage{"name": json.RawMessage(strconv.Quote(name))}})
	if err != nil {
		t.Fatal(err)
	}
	return e.ID
}

func issue(t *testing.T, in cartograph.NewAPIKey) *cartograph.CreatedAPIKey {
	t.Helper()
	k, err := testDB.Keys.Issue(context.Background(), in)
	if err != nil {
		t.Fatalf("Issue(%+v): %v", in, err)
	}
	return k
}

func wantCode(t *testing.T, err error, want cartograph.Code) {
	t.Helper()
	if got := cartograph.ErrorCode(err); got != want {
		t.Fatalf("error = %v (code %q), want code %q", err, got, want)
	}
}

func TestKeyLifecycle(t *testing.T) {
	ctx := context.Background()
	orga := uniqueOrg("orga")
	k := issue(t, cartograph.NewAPIKey{Name: "lifecycle", OrgID: orga, Scope: cartograph.ScopeRead, Role: cartograph.RoleUser})

	if !strings.HasPrefix(k.Secret, "c8ak_") || len(k.Secret) != 45 {
		t.Fatalf("secret %q: want c8ak_ + 40 characters", k.Secret)
	}
	if !strings.HasPrefix(k.Secret, k.Key.Prefix) || len(k.Key.Prefix) >= len(k.Secret)/2 {
		t.Errorf("prefix %q should be a short start of the secret", k.Key.Prefix)
	}

	// Only the hash is stored: no column holds the secret.
	var stored int
	sum := sha256.Sum256([]byte(k.Secret))
	if err := testDB.Bun().NewRaw("SELECT count(*) FROM api_keys WHERE hash = ? AND position(? in api_keys::text) = 0",
		sum[:], k.Secret).Scan(ctx, &stored); err != nil {
		t.Fatal(err)
	}
	if stored != 1 {
		t.Fatalf("want exactly one row holding the hash and not the secret, got %d", stored)
	}

	a, err := testDB.Keys.Authenticate(ctx, k.Secret)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if a.OrgID != orga || a.KeyName != "lifecycle" || a.Scope != cartograph.ScopeRead || a.Role != cartograph.RoleUser {
		t.Errorf("actor = %+v", a)
	}
	keys, err := testDB.Keys.List(dbtest.As(ctx, orga, cartograph.ScopeRead, cartograph.RoleAdmin))
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0].LastUsedAt == nil {
		t.Fatalf("after use, want the key listed with a last-used time; got %+v", keys)
	}

	if _, err := testDB.Keys.RevokeIn(ctx, orga, "lifecycle"); err != nil {
		t.Fatalf("RevokeIn: %v", err)
	}
	_, err = testDB.Keys.Authenticate(ctx, k.Secret)
	wantCode(t, err, cartograph.Unauthenticated)
}

func TestAuthenticateRejects(t *testing.T) {
	ctx := context.Background()
	orgx := uniqueOrg("orgx")
	expired := issue(t, cartograph.NewAPIKey{Name: "expired", OrgID: orgx, Scope: cartograph.ScopeRead, Role: cartograph.RoleUser,
		ExpiresIn: new(time.Millisecond)})
	time.Sleep(5 * time.Millisecond)
	valid := issue(t, cartograph.NewAPIKey{Name: "valid", OrgID: orgx, Scope: cartograph.ScopeRead, Role: cartograph.RoleUser})
	unknown := "c8ak_" + strings.Repeat("A", 40)

	for _, tc := range []struct {
		name, secret, message string
	}{
		{"empty", "", "malformed"},
		{"wrong prefix", "abcd_" + valid.Secret[5:], "malformed"},
		{"too short", valid.Secret[:44], "malformed"},
		{"not base62", valid.Secret[:44] + "!", "malformed"},
		{"unknown", unknown, "not valid"},
		{"expired", expired.Secret, "expired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := testDB.Keys.Authenticate(ctx, tc.secret)
			wantCode(t, err, cartograph.Unauthenticated)
			if !strings.Contains(err.Error(), tc.message) {
				t.Errorf("error %q should say %q", err, tc.message)
			}
		})
	}
}

func TestKeyAccessAndOrgIsolation(t *testing.T) {
	ctx := context.Background()
	isoA, isoB, isoC := uniqueOrg("iso-a"), uniqueOrg("iso-b"), uniqueOrg("iso-c")
	shared := uniqueOrg("shared-name") // unique across runs: RevokeIn by name spans orgs
	issue(t, cartograph.NewAPIKey{Name: shared, OrgID: isoA, Scope: cartograph.ScopeRead, Role: cartograph.RoleUser})
	issue(t, cartograph.NewAPIKey{Name: shared, OrgID: isoB, Scope: cartograph.ScopeRead, Role: cartograph.RoleUser})
	adminA := dbtest.As(ctx, isoA, cartograph.ScopeWrite, cartograph.RoleAdmin)

	keys, err := testDB.Keys.List(adminA)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0].OrgID != isoA {
		t.Fatalf("org a's admin should list only org a's key, got %+v", keys)
	}

	for _, tc := range []struct {
		name string
		ctx  context.Context
		call func(context.Context) error
		want cartograph.Code
	}{
		{"no caller lists", ctx, func(c context.Context) error { _, err := testDB.Keys.List(c); return err }, cartograph.Unauthenticated},
		{"user lists", dbtest.As(ctx, isoA, cartograph.ScopeWrite, cartograph.RoleUser),
			func(c context.Context) error { _, err := testDB.Keys.List(c); return err }, cartograph.Forbidden},
		{"read-scope admin creates", dbtest.As(ctx, isoA, cartograph.ScopeRead, cartograph.RoleAdmin),
			func(c context.Context) error {
				_, err := testDB.Keys.Create(c, cartograph.NewAPIKey{Name: "x", Scope: "read", Role: "user"})
				return err
			}, cartograph.Forbidden},
		{"admin creates in another org", adminA,
			func(c context.Context) error {
				_, err := testDB.Keys.Create(c, cartograph.NewAPIKey{Name: "x", OrgID: isoB, Scope: "read", Role: "user"})
				return err
			}, cartograph.Forbidden},
		{"duplicate name in org", adminA,
			func(c context.Context) error {
				_, err := testDB.Keys.Create(c, cartograph.NewAPIKey{Name: shared, Scope: "read", Role: "user"})
				return err
			}, cartograph.Conflict},
		{"bad input", adminA,
			func(c context.Context) error {
				_, err := testDB.Keys.Create(c, cartograph.NewAPIKey{Name: "", Scope: "all", Role: "root"})
				return err
			}, cartograph.Invalid},
		{"revoke another org's key", dbtest.As(ctx, isoC, cartograph.ScopeWrite, cartograph.RoleAdmin),
			func(c context.Context) error { _, err := testDB.Keys.Revoke(c, shared); return err }, cartograph.NotFound},
		{"revoke by name ambiguous across orgs", ctx,
			func(c context.Context) error { _, err := testDB.Keys.RevokeIn(c, "", shared); return err }, cartograph.Conflict},
	} {
		t.Run(tc.name, func(t *testing.T) { wantCode(t, tc.call(tc.ctx), tc.want) })
	}

	// The ambiguous revoke changed nothing: both keys still work.
	keys, _ = testDB.Keys.ListAll(ctx)
	for _, k := range keys {
		if k.Name == shared && k.Revoked {
			t.Errorf("key of org %s was revoked by a refused call", k.OrgID)
		}
	}

	created, err := testDB.Keys.Create(adminA, cartograph.NewAPIKey{Name: "made-by-admin", Scope: "write", Role: "user"})
	if err != nil {
		t.Fatal(err)
	}
	if created.Key.OrgID != isoA {
		t.Errorf("created key org = %q, want the admin's org", created.Key.OrgID)
	}
}

func TestBootstrapOnlyOnEmptyDatabase(t *testing.T) {
	ctx := context.Background()
	store, _, _ := dbtest.Fresh(t, "bootstrap")
	first, err := store.Bootstrap(ctx)
	if err != nil || first == nil {
		t.Fatalf("first Bootstrap = %v, %v; want a key", first, err)
	}
	if first.Key.OrgID != "default" || first.Key.Role != cartograph.RoleAdmin || first.Key.Scope != cartograph.ScopeWrite {
		t.Errorf("bootstrap key = %+v, want admin/write in org default", first.Key)
	}
	second, err := store.Bootstrap(ctx)
	if err != nil || second != nil {
		t.Fatalf("second Bootstrap = %v, %v; want nothing created", second, err)
	}
	// Migrating again is a no-op.
	if err := store.Migrate(ctx); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
}

// TestKeyCache: while WatchKeys runs, a key seen before costs no statement,
// and a change made by another process (here: raw SQL, which skips this
// process's own cache drop) reaches the cache through the notification.
func TestKeyCache(t *testing.T) {
	dbtest.WatchKeys(t, testDB)
	org := uniqueOrg("cache")
	auth := func(secret string) (*cartograph.Actor, int64, error) {
		c, n := db.WithStatementCount(context.Background())
		a, err := testDB.Keys.Authenticate(c, secret)
		return a, n.Load(), err
	}
	// warm authenticates until the cache answers (the listener may still be
	// connecting), failing after a few seconds.
	warm := func(secret string) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if _, n, err := auth(secret); err != nil {
				t.Fatal(err)
			} else if n == 0 {
				return
			}
		}
		t.Fatal("a known key still costs statements: the cache never turned on")
	}
	cases := []struct {
		name, set string
		check     func(*cartograph.Actor, error) bool
	}{
		{"revoked", "revoked_at = now()", func(_ *cartograph.Actor, err error) bool {
			return cartograph.ErrorCode(err) == cartograph.Unauthenticated
		}},
		{"expired", "expires_at = now() - interval '1 second'", func(_ *cartograph.Actor, err error) bool {
			return cartograph.ErrorCode(err) == cartograph.Unauthenticated
		}},
		{"scope", "scope = 'read'", func(a *cartograph.Actor, err error) bool {
			return err == nil && a.Scope == cartograph.ScopeRead
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := issue(t, cartograph.NewAPIKey{Name: c.name, OrgID: org, Scope: cartograph.ScopeWrite, Role: cartograph.RoleUser})
			warm(k.Secret)
			if _, err := testDB.Bun().ExecContext(context.Background(),
				"UPDATE api_keys SET "+c.set+" WHERE org_id = ? AND name = ?", org, c.name); err != nil {
				t.Fatal(err)
			}
			for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
				a, _, err := auth(k.Secret)
				if c.check(a, err) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("after another process set %s, Authenticate still gives %+v, %v", c.set, a, err)
				}
			}
		})
	}

	// Revoke through the API takes effect in this process at once.
	k := issue(t, cartograph.NewAPIKey{Name: "local", OrgID: org, Scope: cartograph.ScopeWrite, Role: cartograph.RoleUser})
	warm(k.Secret)
	if _, err := testDB.Keys.RevokeIn(context.Background(), org, "local"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := auth(k.Secret); cartograph.ErrorCode(err) != cartograph.Unauthenticated {
		t.Fatalf("right after Revoke: %v, want UNAUTHENTICATED", err)
	}
}

// TestKeyLastUsedOnce: when a cached key's last-used time is due, one of
// the concurrent requests carrying it writes it and the rest do not wait.
func TestKeyLastUsedOnce(t *testing.T) {
	dbtest.WatchKeys(t, testDB)
	testDB.Keys.SetKeyUsedEvery(50 * time.Millisecond)
	t.Cleanup(func() { testDB.Keys.SetKeyUsedEvery(time.Minute) })
	org := uniqueOrg("touch")
	k := issue(t, cartograph.NewAPIKey{Name: "busy", OrgID: org, Scope: cartograph.ScopeRead, Role: cartograph.RoleUser})
	lastUsed := func() time.Time {
		var at time.Time
		if err := testDB.Bun().NewRaw("SELECT last_used_at FROM api_keys WHERE org_id = ? AND name = 'busy'", org).Scan(context.Background(), &at); err != nil {
			t.Fatal(err)
		}
		return at
	}
	for round := range 3 {
		// Until the cache answers, each call reads the key (and may write it).
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			c, n := db.WithStatementCount(context.Background())
			if _, err := testDB.Keys.Authenticate(c, k.Secret); err != nil {
				t.Fatal(err)
			}
			if n.Load() == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the key cache never answered")
			}
		}
		before := lastUsed()
		time.Sleep(60 * time.Millisecond)
		ctx, n := db.WithStatementCount(context.Background())
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				if _, err := testDB.Keys.Authenticate(ctx, k.Secret); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if got := n.Load(); got != 1 {
			t.Errorf("round %d: 16 concurrent requests wrote last_used_at %d times, want 1", round, got)
		}
		if !lastUsed().After(before) {
			t.Errorf("round %d: last_used_at did not move", round)
		}
	}
}
