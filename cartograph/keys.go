package cartograph

import (
	"context"
	"regexp"
	"time"
)

// Scope is what a key may do: read, or read and write.
type Scope string

// The scopes of a key.
const (
	ScopeRead  Scope = "read"
	ScopeWrite Scope = "write"
)

// Valid reports whether s is a known scope.
func (s Scope) Valid() bool { return s == ScopeRead || s == ScopeWrite }

// Role is who a key acts as: admins may also manage keys.
type Role string

// The roles of a key.
const (
	RoleAdmin Role = "admin"
	RoleUser  Role = "user"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleUser }

// APIKey is a stored key as anyone may see it: never the secret, only its
// display prefix.
type APIKey struct {
	ID         string
	OrgID      string
	Name       string
	Prefix     string // the first characters of the secret, to recognise it
	Scope      Scope
	Role       Role
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	Revoked    bool
}

// CreatedAPIKey is a key just made: the only time its secret is shown.
type CreatedAPIKey struct {
	Key    *APIKey
	Secret string
}

// NewAPIKey is the input for creating a key.
type NewAPIKey struct {
	Name      string
	OrgID     string // empty: the caller's org, or DefaultOrg from the command line
	Scope     Scope
	Role      Role
	ExpiresIn *time.Duration
}

// DefaultOrg is the org of keys made without one, and of the bootstrap key.
const DefaultOrg = "default"

var (
	orgPattern     = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
	keyNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 ._@:/-]{0,99}$`)
)

// Validate checks the input, filling the default org. It returns Invalid
// listing every problem.
func (in *NewAPIKey) Validate() error {
	var p Problems
	if in.OrgID == "" {
		in.OrgID = DefaultOrg
	}
	if !keyNamePattern.MatchString(in.Name) {
		p.Add("name", "name must be 1 to 100 letters, digits, spaces or ._@:/- and start with a letter or digit")
	}
	if !orgPattern.MatchString(in.OrgID) {
		p.Add("org", "org must be 1 to 63 lowercase letters, digits, _ or - and start with a letter or digit")
	}
	if !in.Scope.Valid() {
		p.Add("scope", "scope must be one of read, write")
	}
	if !in.Role.Valid() {
		p.Add("role", "role must be one of admin, user")
	}
	if in.ExpiresIn != nil && *in.ExpiresIn <= 0 {
		p.Add("expiresIn", "expiry must be in the future")
	}
	return p.Err()
}

// Actor is the authenticated caller of a request: the key it presented.
type Actor struct {
	KeyID   string
	KeyName string
	OrgID   string
	Scope   Scope
	Role    Role
}

type actorKey struct{}

// WithActor returns ctx carrying a.
func WithActor(ctx context.Context, a *Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the caller of ctx, or nil outside an authenticated request.
func ActorFrom(ctx context.Context) *Actor {
	a, _ := ctx.Value(actorKey{}).(*Actor)
	return a
}

// CanRead returns the caller when ctx may read its org's data, else
// Unauthenticated. Every read in db starts with it.
func CanRead(ctx context.Context) (*Actor, error) {
	a := ActorFrom(ctx)
	if a == nil || a.OrgID == "" {
		return nil, Errorf(Unauthenticated, "A valid API key is required")
	}
	return a, nil
}

// CanWrite returns the caller when ctx may write, else Unauthenticated or
// Forbidden. Every write in db starts with it, so REST and GraphQL enforce the
// same rule.
func CanWrite(ctx context.Context) (*Actor, error) {
	a, err := CanRead(ctx)
	if err != nil {
		return nil, err
	}
	if a.Scope != ScopeWrite {
		return nil, Errorf(Forbidden, "This API key has read scope; the operation needs write scope")
	}
	return a, nil
}

// CanAdmin returns the caller when it is an admin (any scope), else an error.
func CanAdmin(ctx context.Context) (*Actor, error) {
	a, err := CanRead(ctx)
	if err != nil {
		return nil, err
	}
	if a.Role != RoleAdmin {
		return nil, Errorf(Forbidden, "This operation needs an admin key")
	}
	return a, nil
}
