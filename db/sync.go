package db

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/uptrace/bun"

	"cartograph/cartograph"
)

// serviceIndex resolves observed names to the org's services: first by the
// mapping meta tag's value, then by name (any case).
type serviceIndex struct {
	byTag, byName map[string][]serviceRef
	byID          map[string]serviceRef
}

type serviceRef struct {
	ID, Name, Tag string
	Origin        string
}

func loadServices(ctx context.Context, db bun.IDB, org, tag string) (*serviceIndex, error) {
	var rows []serviceRef
	err := db.NewRaw(`SELECT id, name, origin, coalesce((SELECT t->>'value' FROM jsonb_array_elements(meta_tags) t
			WHERE t->>'name' = ? LIMIT 1), '') AS tag
		FROM entities WHERE org_id = ? AND type = 'service'`, tag, org).Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	ix := &serviceIndex{byTag: map[string][]serviceRef{}, byName: map[string][]serviceRef{}, byID: map[string]serviceRef{}}
	for _, r := range rows {
		ix.add(r)
	}
	return ix, nil
}

func (ix *serviceIndex) add(r serviceRef) {
	if r.Tag != "" {
		ix.byTag[r.Tag] = append(ix.byTag[r.Tag], r)
	}
	ix.byName[strings.ToLower(r.Name)] = append(ix.byName[strings.ToLower(r.Name)], r)
	ix.byID[r.ID] = r
}

// resolve finds the service an observed name stands for; ok is false when
// none does, err set when several do.
func (ix *serviceIndex) resolve(name string) (serviceRef, bool, error) {
	for _, refs := range [][]serviceRef{ix.byTag[name], ix.byName[strings.ToLower(name)]} {
		switch len(refs) {
		case 0:
			continue
		case 1:
			return refs[0], true, nil
		default:
			return serviceRef{}, false, fmt.Errorf("%q matches %d services", name, len(refs))
		}
	}
	return serviceRef{}, false, nil
}

// label is how a sync names an existing service: its mapping tag, else its name.
func (r serviceRef) label() string {
	if r.Tag != "" {
		return r.Tag
	}
	return r.Name
}

// dependsOn returns the depends_on targets of the given services.
func dependsOn(ctx context.Context, db bun.IDB, org string, ids []string) (map[string][]string, error) {
	var rows []struct {
		SourceID string `bun:"source_id"`
		TargetID string `bun:"target_id"`
	}
	err := db.NewRaw(`SELECT source_id, target_id FROM relations WHERE org_id = ? AND label = 'depends_on'
		AND source_id = ANY(?::uuid[]) ORDER BY source_id, target_id`, org, pgArray(ids)).Scan(ctx, &rows)
	out := map[string][]string{}
	for _, r := range rows {
		out[r.SourceID] = append(out[r.SourceID], r.TargetID)
	}
	return out, err
}

// DiffServices compares observed service calls with the catalog's depends_on
// relations: which observed services are new, how the others map, and which
// dependencies to add and remove. It writes nothing.
func (s *Relations) DiffServices(ctx context.Context, in cartograph.SyncRequest) (*cartograph.SyncResult, error) {
	a, err := cartograph.CanRead(ctx)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(in.MappingTag) == "" {
		return nil, &cartograph.Error{Code: cartograph.Invalid, Field: "metatagMappingName", Message: "metatagMappingName should not be empty"}
	}
	ix, err := loadServices(ctx, s.db, a.OrgID, in.MappingTag)
	if err != nil {
		return nil, wrap(err)
	}
	out := cartograph.NewSyncResult()
	refs := map[string]serviceRef{}
	resolve := func(name string) {
		if _, done := refs[name]; done || slices.Contains(out.Services.Added, name) {
			return
		}
		ref, ok, err := ix.resolve(name)
		switch {
		case err != nil:
			out.Errors = append(out.Errors, err.Error())
		case ok:
			refs[name] = ref
			out.Services.Mappings[name] = ref.Name
		default:
			out.Services.Added = append(out.Services.Added, name)
		}
	}
	var ids []string
	for _, name := range cartograph.SortedKeys(in.Services) {
		resolve(name)
		for _, c := range in.Services[name] {
			resolve(c)
		}
		if r, ok := refs[name]; ok {
			ids = append(ids, r.ID)
		}
	}
	current, err := dependsOn(ctx, s.db, a.OrgID, ids)
	if err != nil {
		return nil, wrap(err)
	}
	for _, name := range cartograph.SortedKeys(in.Services) {
		src, known := refs[name]
		have := map[string]bool{}
		for _, t := range current[src.ID] {
			have[t] = true
		}
		want := map[string]bool{}
		for _, c := range in.Services[name] {
			if r, ok := refs[c]; ok {
				want[r.ID] = true
				if known && have[r.ID] {
					continue
				}
			}
			if !slices.Contains(out.Dependencies.Added[name], c) {
				out.Dependencies.Added[name] = append(out.Dependencies.Added[name], c)
			}
		}
		if !known {
			continue
		}
		for _, t := range current[src.ID] {
			if !want[t] {
				if ref, ok := ix.byID[t]; ok {
					out.Dependencies.Removed[name] = append(out.Dependencies.Removed[name], ref.label())
				}
			}
		}
	}
	return out, nil
}

// ApplyServices applies a sync diff in one transaction: it creates the added
// services (tagged with the mapping meta tag so the next sync maps them),
// then adds and removes depends_on relations. Names that resolve to no
// service, or to several, are reported in Errors and skipped.
func (s *Relations) ApplyServices(ctx context.Context, in cartograph.SyncApply) (*cartograph.SyncResult, error) {
	a, err := cartograph.CanWrite(ctx)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(in.MappingTag) == "" {
		return nil, &cartograph.Error{Code: cartograph.Invalid, Field: "metatagMappingName", Message: "metatagMappingName should not be empty"}
	}
	out := cartograph.NewSyncResult()
	err = inTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		ix, err := loadServices(ctx, tx, a.OrgID, in.MappingTag)
		if err != nil {
			return err
		}
		for _, name := range in.Services.Added {
			if _, ok, _ := ix.resolve(name); ok {
				continue // exists already: a retried apply converges
			}
			tags := []cartograph.MetaTag{{Name: in.MappingTag, Value: mustRaw(name), Type: "Text", CreatedBy: "SYSTEM"}}
			row, err := newEntityRow(a, cartograph.Service, cartograph.OriginManual,
				&cartograph.EntityChange{Type: cartograph.Service, Name: &name, MetaTags: &tags})
			if err != nil {
				return err
			}
			if _, err := tx.NewInsert().Model(row).ExcludeColumn("id", "created_at", "updated_at").Returning("*").Exec(ctx); err != nil {
				if isUniqueViolation(err, "") {
					out.Errors = append(out.Errors, fmt.Sprintf("service %q exists under another mapping", name))
					continue
				}
				return err
			}
			ix.add(serviceRef{ID: row.ID, Name: name, Tag: name, Origin: row.Origin})
			out.Services.Added = append(out.Services.Added, name)
		}
		ref := func(name string) (serviceRef, bool) {
			if mapped, ok := in.Services.Mappings[name]; ok {
				name = mapped
			}
			r, ok, err := ix.resolve(name)
			if err != nil {
				out.Errors = append(out.Errors, err.Error())
			} else if !ok {
				out.Errors = append(out.Errors, fmt.Sprintf("no service %q", name))
			}
			return r, ok
		}
		// Added dependencies are inserted, removed ones deleted; both record
		// what actually changed, so a retried apply reports nothing.
		for _, edges := range []struct {
			want, done map[string][]string
			sql        string
		}{
			{in.Dependencies.Added, out.Dependencies.Added, `INSERT INTO relations (org_id, source_id, target_id, label)
				VALUES (?, ?, ?, 'depends_on') ON CONFLICT DO NOTHING`},
			{in.Dependencies.Removed, out.Dependencies.Removed, `DELETE FROM relations
				WHERE org_id = ? AND source_id = ? AND target_id = ? AND label = 'depends_on'`},
		} {
			for _, name := range cartograph.SortedKeys(edges.want) {
				src, ok := ref(name)
				if !ok {
					continue
				}
				out.Services.Mappings[name] = src.Name
				for _, t := range edges.want[name] {
					dst, ok := ref(t)
					if !ok {
						continue
					}
					if src.Origin == string(cartograph.OriginDiscovery) && dst.Origin == string(cartograph.OriginDiscovery) {
						out.Errors = append(out.Errors, fmt.Sprintf("%s -> %s: relations between discovered entities are managed by discovery", name, t))
						continue
					}
					res, err := tx.NewRaw(edges.sql, a.OrgID, src.ID, dst.ID).Exec(ctx)
					if err != nil {
						return err
					}
					if n, _ := res.RowsAffected(); n > 0 {
						edges.done[name] = append(edges.done[name], t)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap(err)
	}
	return out, nil
}

func mustRaw(v any) json.RawMessage { return json.RawMessage(mustJSON(v)) }
