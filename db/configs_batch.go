package db

import (
	"context"
	"time"

	"github.com/uptrace/bun/dialect/pgdialect"

	"cartograph/cartograph"
)

// The methods below serve GraphQL dataloaders: each answers for many parents
// in one statement, so a nested query costs a statement per level, not one
// per parent. Ids of another org simply match nothing.

// ConfigsOfDomains returns, for each domain id, up to page.Limit+1 of its
// configs by key from page.Offset (the extra row tells there is a next page).
func (s *Configs) ConfigsOfDomains(ctx context.Context, domainIDs []string, page cartograph.Page) (map[string][]*cartograph.Config, error) {
	a, err := cartograph.CanRead(ctx)
	if err != nil {
		return nil, err
	}
	var rows []configRow
	err = s.db.NewRaw(`SELECT c.* FROM unnest(?::uuid[]) AS p(id)
		CROSS JOIN LATERAL (
			SELECT * FROM configs WHERE org_id = ? AND domain_id = p.id
			ORDER BY key LIMIT ? OFFSET ?) c`,
		pgArray(domainIDs), a.OrgID, page.Limit+1, page.Offset).Scan(ctx, &rows)
	if err != nil {
		return nil, wrap(err)
	}
	out := make(map[string][]*cartograph.Config, len(domainIDs))
	for i := range rows {
		out[rows[i].DomainID] = append(out[rows[i].DomainID], rows[i].config())
	}
	return out, nil
}

// ConfigsByKey returns the configs named key in each domain, by domain id.
func (s *Configs) ConfigsByKey(ctx context.Context, domainIDs []string, key string) (map[string]*cartograph.Config, error) {
	a, err := cartograph.CanRead(ctx)
	if err != nil {
		return nil, err
	}
	var rows []configRow
	err = s.db.NewSelect().Model(&rows).
		Where("org_id = ? AND domain_id = ANY(?::uuid[]) AND key = ?", a.OrgID, pgArray(domainIDs), key).Scan(ctx)
	if err != nil {
		return nil, wrap(err)
	}
	out := make(map[string]*cartograph.Config, len(rows))
	for i := range rows {
		out[rows[i].DomainID] = rows[i].config()
	}
	return out, nil
}

// CountConfigs returns how many configs each domain has.
func (s *Configs) CountConfigs(ctx context.Context, domainIDs []string) (map[string]int, error) {
	a, err := cartograph.CanRead(ctx)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		DomainID string `bun:"domain_id"`
		N        int    `bun:"n"`
	}
	err = s.db.NewRaw(`SELECT domain_id, count(*) AS n FROM configs
		WHERE org_id = ? AND domain_id = ANY(?::uuid[]) GROUP BY domain_id`, a.OrgID, pgArray(domainIDs)).Scan(ctx, &rows)
	if err != nil {
		return nil, wrap(err)
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.DomainID] = r.N
	}
	return out, nil
}

// VersionsOfConfigs returns, for each config id, up to page.Limit+1 of its
// versions, newest first, from page.Offset.
func (s *Configs) VersionsOfConfigs(ctx context.Context, configIDs []string, page cartograph.Page) (map[string][]*cartograph.Version, error) {
	a, err := cartograph.CanRead(ctx)
	if err != nil {
		return nil, err
	}
	var rows []versionRow
	err = s.db.NewRaw(`SELECT v.* FROM unnest(?::uuid[]) AS p(id)
		CROSS JOIN LATERAL (
			SELECT * FROM config_versions WHERE org_id = ? AND config_id = p.id
			ORDER BY version DESC LIMIT ? OFFSET ?) v`,
		pgArray(configIDs), a.OrgID, page.Limit+1, page.Offset).Scan(ctx, &rows)
	if err != nil {
		return nil, wrap(err)
	}
	out := make(map[string][]*cartograph.Version, len(configIDs))
	for i := range rows {
		out[rows[i].ConfigID] = append(out[rows[i].ConfigID], rows[i].version())
	}
	return out, nil
}

// VersionsAt returns, for each config id, the version in force at t (the
// newest created at or before t); configs with none then are absent. A zero
// t means now: the latest version.
func (s *Configs) VersionsAt(ctx context.Context, configIDs []string, t time.Time) (map[string]*cartograph.Version, error) {
	a, err := cartograph.CanRead(ctx)
	if err != nil {
		return nil, err
	}
	var rows []versionRow
	q := s.db.NewSelect().Model(&rows).DistinctOn("config_id").
		Where("org_id = ? AND config_id = ANY(?::uuid[])", a.OrgID, pgArray(configIDs)).
		OrderExpr("config_id, version DESC")
	if !t.IsZero() {
		q.Where("created_at <= ?", t)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, wrap(err)
	}
	out := make(map[string]*cartograph.Version, len(rows))
	for i := range rows {
		out[rows[i].ConfigID] = rows[i].version()
	}
	return out, nil
}

// VersionKey names one version of one config.
type VersionKey struct {
	ConfigID string
	Number   int
}

// VersionsByNumber returns the versions named by keys; missing ones are absent.
func (s *Configs) VersionsByNumber(ctx context.Context, keys []VersionKey) (map[VersionKey]*cartograph.Version, error) {
	a, err := cartograph.CanRead(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(keys))
	nums := make([]int, len(keys))
	for i, k := range keys {
		ids[i], nums[i] = k.ConfigID, k.Number
	}
	var rows []versionRow
	err = s.db.NewRaw(`SELECT v.* FROM unnest(?::uuid[], ?::int[]) AS k(config_id, version)
		JOIN config_versions v ON v.org_id = ? AND v.config_id = k.config_id AND v.version = k.version`,
		pgArray(ids), pgdialect.Array(nums), a.OrgID).Scan(ctx, &rows)
	if err != nil {
		return nil, wrap(err)
	}
	out := make(map[VersionKey]*cartograph.Version, len(rows))
	for i := range rows {
		out[VersionKey{rows[i].ConfigID, rows[i].Version}] = rows[i].version()
	}
	return out, nil
}

// Snapshots returns, for each domain id, every config that existed at t with
// the version in force then (nil if it had none yet), by key. A zero t means
// now. Configs deleted since t are not seen: deletion removes them.
func (s *Configs) Snapshots(ctx context.Context, domainIDs []string, t time.Time) (map[string][]*cartograph.SnapshotEntry, error) {
	a, err := cartograph.CanRead(ctx)
	if err != nil {
		return nil, err
	}
	if t.IsZero() {
		t = time.Now().Add(time.Hour) // anything in the table is before this
	}
	var rows []struct {
		DomainID  string     `bun:"domain_id"`
		Key       string     `bun:"key"`
		ConfigID  string     `bun:"config_id"`
		Version   *int       `bun:"version"`
		CreatedAt *time.Time `bun:"created_at"`
		Value     *string    `bun:"value"`
	}
	err = s.db.NewRaw(`SELECT c.domain_id, c.key, c.id AS config_id, v.version, v.created_at, v.value::text AS value
		FROM configs c
		LEFT JOIN LATERAL (
			SELECT version, created_at, value FROM config_versions
			WHERE org_id = c.org_id AND config_id = c.id AND created_at <= ?
			ORDER BY version DESC LIMIT 1) v ON true
		WHERE c.org_id = ? AND c.domain_id = ANY(?::uuid[]) AND c.created_at <= ?
		ORDER BY c.domain_id, c.key`, t, a.OrgID, pgArray(domainIDs), t).Scan(ctx, &rows)
	if err != nil {
		return nil, wrap(err)
	}
	out := make(map[string][]*cartograph.SnapshotEntry, len(domainIDs))
	for _, r := range rows {
		e := &cartograph.SnapshotEntry{Key: r.Key}
		if r.Version != nil {
			e.Version = &cartograph.Version{ConfigID: r.ConfigID, Number: *r.Version, CreatedAt: r.CreatedAt.UTC(),
				Value: cartograph.ConfigValue(*r.Value)}
		}
		out[r.DomainID] = append(out[r.DomainID], e)
	}
	return out, nil
}

// DomainsByID returns the org's domains with those ids.
func (s *Configs) DomainsByID(ctx context.Context, ids []string) (map[string]*cartograph.Domain, error) {
	a, err := cartograph.CanRead(ctx)
	if err != nil {
		return nil, err
	}
	var rows []domainRow
	if err := s.db.NewSelect().Model(&rows).Where("org_id = ? AND id = ANY(?::uuid[])", a.OrgID, pgArray(ids)).Scan(ctx); err != nil {
		return nil, wrap(err)
	}
	out := make(map[string]*cartograph.Domain, len(rows))
	for i := range rows {
		out[rows[i].ID] = rows[i].domain()
	}
	return out, nil
}
