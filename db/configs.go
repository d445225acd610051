package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"cartograph/cartograph"
)

// Configs stores the config store: domains, their configs and each config's
// versions, all scoped to the caller's org.
type Configs struct {
	db *bun.DB
}

type domainRow struct {
	bun.BaseModel `bun:"table:config_domains"`

	OrgID     string    `bun:"org_id"`
	ID        string    `bun:"id,type:uuid"`
	Slug      string    `bun:"slug"`
	CreatedAt time.Time `bun:"created_at"`
}

func (r *domainRow) domain() *cartograph.Domain {
	return &cartograph.Domain{ID: r.ID, Slug: r.Slug, CreatedAt: r.CreatedAt.UTC()}
}

type configRow struct {
	bun.BaseModel `bun:"table:configs"`

	OrgID       string    `bun:"org_id"`
	ID          string    `bun:"id,type:uuid"`
	DomainID    string    `bun:"domain_id,type:uuid"`
	Key         string    `bun:"key"`
	CreatedAt   time.Time `bun:"created_at"`
	LastVersion int       `bun:"last_version"`
}

func (r *configRow) config() *cartograph.Config {
	return &cartograph.Config{ID: r.ID, DomainID: r.DomainID, Key: r.Key, CreatedAt: r.CreatedAt.UTC(), LastVersion: r.LastVersion}
}

type versionRow struct {
	bun.BaseModel `bun:"table:config_versions"`

	OrgID     string    `bun:"org_id"`
	ConfigID  string    `bun:"config_id,type:uuid"`
	Version   int       `bun:"version"`
	CreatedAt time.Time `bun:"created_at"`
	Value     string    `bun:"value"` // json text as stored
}

func (r *versionRow) version() *cartograph.Version {
	return &cartograph.Version{ConfigID: r.ConfigID, Number: r.Version, CreatedAt: r.CreatedAt.UTC(),
		Value: cartograph.ConfigValue(r.Value)}
}

var domainNotFound = &cartograph.Error{Code: cartograph.NotFound, Reason: "not_found", Message: "Domain not found"}

// ListDomains returns a page of the org's domains in creation order.
func (s *Configs) ListDomains(ctx context.Context, page cartograph.Page) ([]*cartograph.Domain, error) {
	a, err := cartograph.CanRead(ctx)
	if err != nil {
		return nil, err
	}
	if err := page.Validate(); err != nil {
		return nil, err
	}
	var rows []domainRow
	err = s.db.NewSelect().Model(&rows).Where("org_id = ?", a.OrgID).
		OrderExpr("created_at, id").Apply(paged(page)).Scan(ctx)
	if err != nil {
		return nil, wrap(err)
	}
	out := make([]*cartograph.Domain, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, nil
}

// CountDomains returns how many domains the org has.
func (s *Configs) CountDomains(ctx context.Context) (int, error) {
	a, err := cartograph.CanRead(ctx)
	if err != nil {
		return 0, err
	}
	n, err := s.db.NewSelect().Model((*domainRow)(nil)).Where("org_id = ?", a.OrgID).Count(ctx)
	return int(n), wrap(err)
}

// Domain returns the org's domain with that slug, or NotFound (not_found).
func (s *Configs) Domain(ctx context.Context, slug string) (*cartograph.Domain, error) {
	a, err := cartograph.CanRead(ctx)
	if err != nil {
		return nil, err
	}
	var row domainRow
	err = s.db.NewSelect().Model(&row).Where("org_id = ? AND slug = ?", a.OrgID, slug).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domainNotFound
	}
	if err != nil {
		return nil, wrap(err)
	}
	return row.domain(), nil
}

// CreateDomain creates a domain. It returns Invalid (invalid_slug) for a bad
// slug and Conflict (duplicate_slug) when the org has it already.
func (s *Configs) CreateDomain(ctx context.Context, slug string) (*cartograph.Domain, error) {
	a, err := cartograph.CanWrite(ctx)
	if err != nil {
		return nil, err
	}
	if err := cartograph.ValidateSlug("slug", slug); err != nil {
		return nil, err
	}
	row := &domainRow{OrgID: a.OrgID, Slug: slug}
	_, err = execTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) (sql.Result, error) {
		return tx.NewInsert().Model(row).ExcludeColumn("id", "created_at").Returning("*").Exec(ctx)
	})
	if isUniqueViolation(err, "") {
		return nil, &cartograph.Error{Code: cartograph.Conflict, Reason: "duplicate_slug", Field: "slug",
			Message: "A domain with the same slug already exists"}
	}
	if err != nil {
		return nil, wrap(err)
	}
	return row.domain(), nil
}

// DeleteDomain deletes an empty domain. It returns NotFound (not_found), or
// Unprocessable (not_empty) while the domain still has configs.
func (s *Configs) DeleteDomain(ctx context.Context, slug string) error {
	a, err := cartograph.CanWrite(ctx)
	if err != nil {
		return err
	}
	n, err := execTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) (sql.Result, error) {
		return tx.NewDelete().Model((*domainRow)(nil)).Where("org_id = ? AND slug = ?", a.OrgID, slug).Exec(ctx)
	})
	if isForeignKeyViolation(err) {
		return &cartograph.Error{Code: cartograph.Unprocessable, Reason: "not_empty",
			Message: "The domain could not be deleted because there are existing configs"}
	}
	if err != nil {
		return wrap(err)
	}
	if n == 0 {
		return domainNotFound
	}
	return nil
}

// lookup finds a domain and one of its configs in one statement, telling
// which is missing: ErrDomainNotFound or ErrConfigNotFound.
func (s *Configs) lookup(ctx context.Context, org, domain, key string) (*configRow, error) {
	var found struct {
		DomainID    string         `bun:"domain_id"`
		ID          sql.NullString `bun:"id"`
		CreatedAt   sql.NullTime   `bun:"created_at"`
		LastVersion sql.NullInt64  `bun:"last_version"`
	}
	err := s.db.NewRaw(`SELECT d.id AS domain_id, c.id, c.created_at, c.last_version
		FROM config_domains d
		LEFT JOIN configs c ON c.org_id = d.org_id AND c.domain_id = d.id AND c.key = ?
		WHERE d.org_id = ? AND d.slug = ?`, key, org, domain).Scan(ctx, &found)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, cartograph.ErrDomainNotFound
	}
	if err != nil {
		return nil, wrap(err)
	}
	if !found.ID.Valid {
		return nil, cartograph.ErrConfigNotFound
	}
	return &configRow{OrgID: org, ID: found.ID.String, DomainID: found.DomainID, Key: key,
		CreatedAt: found.CreatedAt.Time, LastVersion: int(found.LastVersion.Int64)}, nil
}

// missing tells why no config matched domain and key.
func (s *Configs) missing(ctx context.Context, org, domain, key string) error {
	_, err := s.lookup(ctx, org, domain, key)
	if err == nil { // created meanwhile: report as not found all the same
		return cartograph.ErrConfigNotFound
	}
	return err
}

// ListConfigs returns a page of a domain's configs by key, or
// ErrDomainNotFound.
func (s *Configs) ListConfigs(ctx context.Context, domain string, page cartograph.Page) ([]*cartograph.Config, error) {
	a, err := cartograph.CanRead(ctx)
	if err != nil {
		return nil, err
	}
	if err := page.Validate(); err != nil {
		return nil, err
	}
	var rows []configRow
	err = s.db.NewSelect().Model(&rows).
		Where("org_id = ?", a.OrgID).
		Where("domain_id = (SELECT id FROM config_domains WHERE org_id = ? AND slug = ?)", a.OrgID, domain).
		OrderExpr("key").Apply(paged(page)).Scan(ctx)
	if err != nil {
		return nil, wrap(err)
	}
	if len(rows) == 0 {
		if _, err := s.Domain(ctx, domain); err != nil {
			return nil, cartograph.ErrDomainNotFound
		}
	}
	out := make([]*cartograph.Config, len(rows))
	for i := range rows {
		out[i] = rows[i].config()
	}
	return out, nil
}

// Config returns a domain's config, or ErrDomainNotFound / ErrConfigNotFound.
func (s *Configs) Config(ctx context.Context, domain, key string) (*cartograph.Config, error) {
	a, err := cartograph.CanRead(ctx)
	if err != nil {
		return nil, err
	}
	row, err := s.lookup(ctx, a.OrgID, domain, key)
	if err != nil {
		return nil, err
	}
	return row.config(), nil
}

// CreateConfig creates a config, checking in upstream's order: the key
// (Invalid, invalid_slug), the domain (ErrDomainNotFound), uniqueness
// (Conflict, config_already_exists).
func (s *Configs) CreateConfig(ctx context.Context, domain, key string) (*cartograph.Config, error) {
	a, err := cartograph.CanWrite(ctx)
	if err != nil {
		return nil, err
	}
	if err := cartograph.ValidateSlug("key", key); err != nil {
		return nil, err
	}
	var rows []configRow
	_, err = execTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) (sql.Result, error) {
		return tx.NewRaw(`INSERT INTO configs (org_id, domain_id, key)
			SELECT org_id, id, ? FROM config_domains WHERE org_id = ? AND slug = ?
			RETURNING *`, key, a.OrgID, domain).Exec(ctx, &rows)
	})
	if isUniqueViolation(err, "") {
		return nil, &cartograph.Error{Code: cartograph.Conflict, Reason: "config_already_exists", Field: "key",
			Message: "Config already exists"}
	}
	if err != nil {
		return nil, wrap(err)
	}
	if len(rows) == 0 {
		return nil, cartograph.ErrDomainNotFound
	}
	return rows[0].config(), nil
}

// DeleteConfig deletes a config and, in the same statement, its versions.
func (s *Configs) DeleteConfig(ctx context.Context, domain, key string) error {
	a, err := cartograph.CanWrite(ctx)
	if err != nil {
		return err
	}
	n, err := execTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) (sql.Result, error) {
		return tx.NewRaw(`DELETE FROM configs c USING config_domains d
			WHERE c.org_id = ? AND d.org_id = c.org_id AND d.id = c.domain_id AND d.slug = ? AND c.key = ?`,
			a.OrgID, domain, key).Exec(ctx)
	})
	if err != nil {
		return wrap(err)
	}
	if n == 0 {
		return s.missing(ctx, a.OrgID, domain, key)
	}
	return nil
}

// ListVersions returns a page of a config's versions, newest first.
func (s *Configs) ListVersions(ctx context.Context, domain, key string, page cartograph.Page) ([]*cartograph.Version, error) {
	a, err := cartograph.CanRead(ctx)
	if err != nil {
		return nil, err
	}
	if err := page.Validate(); err != nil {
		return nil, err
	}
	cfg, err := s.lookup(ctx, a.OrgID, domain, key)
	if err != nil {
		return nil, err
	}
	var rows []versionRow
	err = s.db.NewSelect().Model(&rows).Where("org_id = ? AND config_id = ?", a.OrgID, cfg.ID).
		OrderExpr("version DESC").Apply(paged(page)).Scan(ctx)
	if err != nil {
		return nil, wrap(err)
	}
	return versions(rows), nil
}

func versions(rows []versionRow) []*cartograph.Version {
	out := make([]*cartograph.Version, len(rows))
	for i := range rows {
		out[i] = rows[i].version()
	}
	return out
}

// LatestVersion returns a config's newest version, or ErrVersionNotFound when
// it has none.
func (s *Configs) LatestVersion(ctx context.Context, domain, key string) (*cartograph.Version, error) {
	a, err := cartograph.CanRead(ctx)
	if err != nil {
		return nil, err
	}
	cfg, err := s.lookup(ctx, a.OrgID, domain, key)
	if err != nil {
		return nil, err
	}
	var row versionRow
	err = s.db.NewSelect().Model(&row).Where("org_id = ? AND config_id = ? AND version = ?", a.OrgID, cfg.ID, cfg.LastVersion).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, cartograph.ErrVersionNotFound
	}
	if err != nil {
		return nil, wrap(err)
	}
	return row.version(), nil
}

// CreateVersion adds a value to a config as its next version. The value is
// checked first (Invalid, invalid_value), then the domain and config
// (NotFound). One statement bumps the config's last_version under its row
// lock and inserts the version, so concurrent creates get 1, 2, 3... with no
// gap and no clash.
func (s *Configs) CreateVersion(ctx context.Context, domain, key string, value cartograph.ConfigValue) (*cartograph.Version, error) {
	a, err := cartograph.CanWrite(ctx)
	if err != nil {
		return nil, err
	}
	value, err = cartograph.ParseConfigValue(json.RawMessage(value))
	if err != nil {
		return nil, err
	}
	var rows []versionRow
	_, err = execTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) (sql.Result, error) {
		return tx.NewRaw(`WITH c AS (
				UPDATE configs SET last_version = last_version + 1
				FROM config_domains d
				WHERE configs.org_id = ? AND d.org_id = configs.org_id AND d.id = configs.domain_id
				  AND d.slug = ? AND configs.key = ?
				RETURNING configs.org_id, configs.id, configs.last_version)
			INSERT INTO config_versions (org_id, config_id, version, value)
			SELECT org_id, id, last_version, ?::json FROM c
			RETURNING *`, a.OrgID, domain, key, string(value)).Exec(ctx, &rows)
	})
	if err != nil {
		return nil, wrap(err)
	}
	if len(rows) == 0 {
		return nil, s.missing(ctx, a.OrgID, domain, key)
	}
	return rows[0].version(), nil
}

// paged applies a limit/offset page; bun reads Limit(0) as "no limit",
// where a page of size 0 must be empty.
func paged(p cartograph.Page) func(*bun.SelectQuery) *bun.SelectQuery {
	return func(q *bun.SelectQuery) *bun.SelectQuery {
		if p.Limit == 0 {
			return q.Where("false")
		}
		return q.Limit(int64(p.Limit)).Offset(int64(p.Offset))
	}
}

// pgArray formats a slice as a PostgreSQL array literal argument; the SQL
// casts it (?::uuid[], ?::text[], ?::date[], ?::numeric[]).
func pgArray[S ~string](values []S) any { return pgdialect.Array(values) }
