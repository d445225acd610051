package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"cartograph/cartograph"
	"cartograph/db"
	"cartograph/graph/model"
)

// newAPIKey converts the GraphQL input; a bad duration is Invalid on expiresIn.
func newAPIKey(in model.CreateAPIKeyInput) (cartograph.NewAPIKey, error) {
	out := cartograph.NewAPIKey{Name: in.Name, Scope: in.Scope, Role: in.Role}
	if in.ExpiresIn != nil {
		d, err := time.ParseDuration(*in.ExpiresIn)
		if err != nil {
			return out, &cartograph.Error{Code: cartograph.Invalid, Field: "expiresIn",
				Message: "expiresIn must be a duration such as 720h"}
		}
		out.ExpiresIn = &d
	}
	return out, nil
}

// defaultPageSize is a list field's page when the query names none.
const defaultPageSize = 20

// pageArgs turns first/offset arguments into a page: negative values are
// BAD_USER_INPUT, first is capped at cartograph.MaxPageSize.
func pageArgs(first, offset *int) (cartograph.Page, error) {
	p := cartograph.Page{Limit: defaultPageSize}
	if first != nil {
		p.Limit = *first
	}
	if offset != nil {
		p.Offset = *offset
	}
	switch {
	case p.Limit < 0:
		return p, &cartograph.Error{Code: cartograph.Invalid, Field: "first", Message: "first must not be negative"}
	case p.Offset < 0:
		return p, &cartograph.Error{Code: cartograph.Invalid, Field: "offset", Message: "offset must not be negative"}
	}
	p.Limit = min(p.Limit, cartograph.MaxPageSize)
	return p, nil
}

// unixNano keys a loader by time; nil (now) is 0.
func unixNano(t *time.Time) int64 {
	if t == nil {
		return 0
	}
	return t.UnixNano()
}

// done answers a mutation that returns only whether it succeeded.
func done(err error) (bool, error) { return err == nil, err }

// nullIfNotFound turns NotFound into null, for nullable lookups by name.
func nullIfNotFound[T any](v *T, err error) (*T, error) {
	if cartograph.ErrorCode(err) == cartograph.NotFound {
		return nil, nil
	}
	return v, err
}

// latestVersion loads a config's newest version; nil when it has none.
func latestVersion(ctx context.Context, c *cartograph.Config) (*cartograph.Version, error) {
	if c.LastVersion == 0 {
		return nil, nil
	}
	return loadersFrom(ctx).version.Load(ctx, db.VersionKey{ConfigID: c.ID, Number: c.LastVersion})()
}

// diffVersions loads two versions of c and compares them.
func diffVersions(ctx context.Context, c *cartograph.Config, from, to int) (*cartograph.ConfigDiff, error) {
	l := loadersFrom(ctx).version
	thunks := []func() (*cartograph.Version, error){
		l.Load(ctx, db.VersionKey{ConfigID: c.ID, Number: from}),
		l.Load(ctx, db.VersionKey{ConfigID: c.ID, Number: to}),
	}
	var vs [2]*cartograph.Version
	for i, thunk := range thunks {
		v, err := thunk()
		if err != nil {
			return nil, err
		}
		if v == nil {
			field := [2]string{"from", "to"}[i]
			return nil, &cartograph.Error{Code: cartograph.NotFound, Field: field,
				Message: fmt.Sprintf("Config %s has no version %d", c.Key, [2]int{from, to}[i])}
		}
		vs[i] = v
	}
	return cartograph.DiffVersions(vs[0], vs[1]), nil
}

// domainPage lists a page of the org's domains, asking for one more row to
// tell whether a next page exists.
func domainPage(ctx context.Context, store *db.DB, first, offset *int) (*model.DomainPage, error) {
	page, err := pageArgs(first, offset)
	if err != nil {
		return nil, err
	}
	if page.Limit == 0 {
		return &model.DomainPage{Items: []*cartograph.Domain{}}, nil
	}
	items, err := store.Configs.ListDomains(ctx, cartograph.Page{Limit: page.Limit + 1, Offset: page.Offset})
	if err != nil {
		return nil, err
	}
	items, more := trim(items, page.Limit)
	out := &model.DomainPage{Items: items, HasNextPage: more}
	prefetchField(ctx, "DomainPage", out)
	return out, nil
}

// domainBySlug finds a domain (null when there is none) and prefetches what
// the query asks below it.
func domainBySlug(ctx context.Context, store *db.DB, slug string) (*cartograph.Domain, error) {
	d, err := nullIfNotFound(store.Configs.Domain(ctx, slug))
	if d != nil {
		prefetchField(ctx, "Domain", d)
	}
	return d, err
}

// configPage loads a page of a domain's configs through the batching loader.
func configPage(ctx context.Context, d *cartograph.Domain, first, offset *int) (*model.ConfigPage, error) {
	page, err := pageArgs(first, offset)
	if err != nil {
		return nil, err
	}
	return loadersFrom(ctx).configs.Load(ctx, pagedKey{d.ID, page})()
}

// versionPage loads a page of a config's versions through the batching loader.
func versionPage(ctx context.Context, c *cartograph.Config, first, offset *int) (*model.VersionPage, error) {
	page, err := pageArgs(first, offset)
	if err != nil {
		return nil, err
	}
	items, err := loadersFrom(ctx).versions.Load(ctx, pagedKey{c.ID, page})()
	items, more := trim(items, page.Limit)
	return &model.VersionPage{Items: items, HasNextPage: more, TotalCount: c.LastVersion}, err
}

// versionAt loads the version of c in force at asOf (nil: now).
func versionAt(ctx context.Context, c *cartograph.Config, asOf *time.Time) (*cartograph.Version, error) {
	if asOf == nil {
		return latestVersion(ctx, c)
	}
	return loadersFrom(ctx).versionAt.Load(ctx, timedKey{c.ID, asOf.UnixNano()})()
}

// entityInput turns a GraphQL input object (only the fields the caller gave)
// into the raw JSON fields the domain validator reads, the same shape a REST
// body has.
func entityInput(t cartograph.EntityType, in map[string]any) cartograph.EntityInput {
	fields := make(map[string]json.RawMessage, len(in))
	for k, v := range in {
		b, err := json.Marshal(v)
		if err != nil {
			b = []byte("null")
		}
		fields[k] = b
	}
	return cartograph.EntityInput{Type: t, Fields: fields}
}

func createEntity(ctx context.Context, store *db.DB, t cartograph.EntityType, in map[string]any) (model.Entity, error) {
	e, err := store.Entities.Create(ctx, entityInput(t, in))
	if err != nil {
		return nil, err
	}
	return model.Wrap(e), nil
}

func updateEntity(ctx context.Context, store *db.DB, t cartograph.EntityType, id string, in map[string]any) (model.Entity, error) {
	e, err := store.Entities.Update(ctx, id, entityInput(t, in))
	if err != nil {
		return nil, err
	}
	return model.Wrap(e), nil
}

// as narrows an entity to the concrete type a mutation returns.
func as[T model.Entity](e model.Entity, err error) (T, error) {
	var zero T
	if err != nil {
		return zero, err
	}
	return e.(T), nil
}

func setMetaTags(ctx context.Context, store *db.DB, id string, tags []map[string]any) (model.Entity, error) {
	raw, _ := json.Marshal(tags)
	parsed, err := cartograph.ValidateMetaTags(raw)
	if err != nil {
		return nil, err
	}
	e, err := store.Entities.SetMetaTags(ctx, id, parsed)
	if err != nil {
		return nil, err
	}
	return model.Wrap(e), nil
}

// entityByID finds an entity (null when there is none) and prefetches what
// the query asks below it.
func entityByID(ctx context.Context, store *db.DB, id string) (model.Entity, error) {
	e, err := nullIfNotFound(store.Entities.Get(ctx, id))
	if e == nil {
		return nil, err
	}
	w := model.Wrap(e)
	prefetchField(ctx, "Entity", w)
	return w, nil
}

// sortColumns maps GraphQL sort fields to the API's sort properties.
var sortColumns = map[model.EntitySortField]string{
	model.EntitySortFieldName: "name", model.EntitySortFieldType: "type",
	model.EntitySortFieldDescription: "description", model.EntitySortFieldCreatedAt: "createDateTime",
	model.EntitySortFieldUpdatedAt: "lastChangedDateTime", model.EntitySortFieldProvider: "provider",
}

func entityQuery(types []cartograph.EntityType, where map[string]any, search *string, nameOnly *bool, sort *model.EntitySortInput) (cartograph.EntityQuery, error) {
	q := cartograph.EntityQuery{Types: types}
	f, err := whereFilter(where)
	if err != nil {
		return q, err
	}
	if f != nil {
		q.Filters = []cartograph.Filter{*f}
	}
	if search != nil {
		q.SearchTerms = *search
	}
	if nameOnly != nil {
		q.NameOnly = *nameOnly
	}
	if sort != nil {
		q.Sort = cartograph.EntitySort{Property: sortColumns[sort.Field], Descending: sort.Direction == model.SortDirectionDesc}
	}
	return q, nil
}

// entities answers the entities query.
func entities(ctx context.Context, store *db.DB, types []cartograph.EntityType, where map[string]any,
	search *string, nameOnly *bool, sort *model.EntitySortInput, first, offset *int,
) (*model.EntityPage, error) {
	q, err := entityQuery(types, where, search, nameOnly, sort)
	if err != nil {
		return nil, err
	}
	return entityPage(ctx, store, q, first, offset)
}

// entityPage runs a search for one page (and one row more, to tell whether a
// next page exists); the total is counted only if the query selects it.
func entityPage(ctx context.Context, store *db.DB, q cartograph.EntityQuery, first, offset *int) (*model.EntityPage, error) {
	page, err := pageArgs(first, offset)
	if err != nil {
		return nil, err
	}
	q.Page = cartograph.Page{Limit: page.Limit + 1, Offset: page.Offset}
	if fc := graphql.GetFieldContext(ctx); fc != nil {
		q.Parts = pageParts(fc.Field.Selections)
		// A total the page's own statement can count costs nothing more
		// there; any other is left to totalCount's resolver, which runs
		// beside the page.
		q.Count = db.CountsInPage(q) && selects(fc.Field.Selections, "totalCount")
	}
	if page.Limit == 0 {
		q.Page.Limit = 0
	}
	es, total, err := store.Entities.Search(ctx, q)
	if err != nil {
		return nil, err
	}
	es, more := trim(es, page.Limit)
	out := &model.EntityPage{Items: model.WrapAll(es), HasNextPage: more, Query: q}
	if q.Count {
		out.Total = &total
	}
	prefetchField(ctx, "EntityPage", out)
	return out, nil
}

// walkSpec turns graph() arguments into a walk.
func walkSpec(from string, labels []string, dir cartograph.Direction, maxDepth, limit int) cartograph.WalkSpec {
	s := cartograph.WalkSpec{From: from, MaxDepth: maxDepth, Limit: limit}
	if dir == cartograph.Out || dir == cartograph.Both {
		s.OutLabels = labels
	}
	if dir == cartograph.In || dir == cartograph.Both {
		s.InLabels = labels
	}
	return s
}

// impact walks what depends on an entity and groups it by team and environment.
func impact(ctx context.Context, store *db.DB, id string, maxDepth, limit int) (*model.Impact, error) {
	res, err := store.Relations.Walk(ctx, cartograph.WalkSpec{From: id, InLabels: cartograph.ImpactIn,
		OutLabels: cartograph.ImpactOut, MaxDepth: maxDepth, Limit: limit})
	if err != nil {
		return nil, err
	}
	byTeam, byEnv := cartograph.GroupImpact(res)
	return &model.Impact{Nodes: res.Nodes, ByTeam: byTeam, ByEnvironment: byEnv, Truncated: res.Truncated}, nil
}

// asJSON renders a map as a JSON scalar.
func asJSON(v any) (json.RawMessage, error) { return json.Marshal(v) }

// syncRequest turns serviceSyncDiff arguments into a sync request.
func syncRequest(services []map[string]any, tag string) cartograph.SyncRequest {
	req := cartograph.SyncRequest{Services: map[string][]string{}, MappingTag: tag}
	for _, s := range services {
		name, _ := s["name"].(string)
		var calls []string
		switch list := s["calls"].(type) {
		case []string:
			calls = list
		case []any:
			for _, c := range list {
				if c, ok := c.(string); ok {
					calls = append(calls, c)
				}
			}
		}
		req.Services[name] = append(req.Services[name], calls...)
	}
	return req
}

// applyServiceSync decodes the diff's JSON parts and applies them.
func applyServiceSync(ctx context.Context, store *db.DB, services, deps json.RawMessage, tag string) (*cartograph.SyncResult, error) {
	in := cartograph.SyncApply{MappingTag: tag}
	if json.Unmarshal(services, &in.Services) != nil {
		return nil, &cartograph.Error{Code: cartograph.Invalid, Field: "services", Message: "services must be {added: [names], mappings: {name: name}}"}
	}
	if json.Unmarshal(deps, &in.Dependencies) != nil {
		return nil, &cartograph.Error{Code: cartograph.Invalid, Field: "dependencies", Message: "dependencies must be {added: {name: [names]}, removed: {name: [names]}}"}
	}
	return store.Relations.ApplyServices(ctx, in)
}
