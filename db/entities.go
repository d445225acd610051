package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"cartograph/cartograph"
)

// Entities stores catalog entities of every type.
type Entities struct {
	db   *bun.DB
	rows *rowReader // pages of entities
}

type entityRow struct {
	bun.BaseModel `bun:"table:entities,alias:e"`

	OrgID                string                     `bun:"org_id"`
	ID                   string                     `bun:"id,type:uuid,nullzero"`
	Type                 string                     `bun:"type"`
	Name                 string                     `bun:"name"`
	Description          string                     `bun:"description"`
	Tags                 []string                   `bun:"tags,array"`
	MetaTags             []cartograph.MetaTag       `bun:"meta_tags,type:jsonb"`
	Links                []cartograph.Link          `bun:"links,type:jsonb"`
	Permissions          json.RawMessage            `bun:"permissions,type:jsonb"`
	GeneralAccess        []string                   `bun:"general_access,array"`
	Origin               string                     `bun:"origin"`
	CreatedBy            string                     `bun:"created_by"`
	LastChangedBy        string                     `bun:"last_changed_by"`
	CreatedAt            time.Time                  `bun:"created_at,nullzero"`
	UpdatedAt            time.Time                  `bun:"updated_at,nullzero"`
	Provider             string                     `bun:"provider"`
	ProviderType         string                     `bun:"provider_type"`
	ProviderResourceKey  string                     `bun:"provider_resource_key"`
	ProviderResourceType string                     `bun:"provider_resource_type"`
	ProviderAccountID    string                     `bun:"provider_account_id"`
	Location             string                     `bun:"location"`
	Attrs                map[string]json.RawMessage `bun:"attrs,type:jsonb"`
	SearchText           string                     `bun:"search_text"`
}

func (r *entityRow) entity() *cartograph.Entity {
	e := new(cartograph.Entity)
	r.fill(e)
	return e
}

// fill sets e from the row. Attrs stays nil when the row has none (reading
// a nil map is reading an empty one), sparing a map per entity read.
func (r *entityRow) fill(e *cartograph.Entity) {
	perm := r.Permissions
	if len(perm) == 0 || string(perm) == "null" {
		perm = json.RawMessage("{}")
	}
	*e = cartograph.Entity{
		ID: r.ID, OrgID: r.OrgID, Type: cartograph.EntityType(r.Type), Name: r.Name, Description: r.Description,
		Tags: nonNil(r.Tags), MetaTags: nonNil(r.MetaTags), Links: nonNil(r.Links), Permissions: perm,
		GeneralAccess: nonNil(r.GeneralAccess), Origin: cartograph.Origin(r.Origin),
		CreatedBy: r.CreatedBy, LastChangedBy: r.LastChangedBy, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		Provider: r.Provider, ProviderType: r.ProviderType, ProviderResourceKey: r.ProviderResourceKey,
		ProviderResourceType: r.ProviderResourceType, ProviderAccountID: r.ProviderAccountID, Location: r.Location,
		Attrs: r.Attrs,
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// partColumns are the entities columns behind each part an entity read can
// ask for (cartograph.EntityParts).
var partColumns = []struct {
	part    cartograph.EntityParts
	columns []string
}{
	{cartograph.PartCore, []string{"org_id", "id", "type", "name"}},
	{cartograph.PartDescription, []string{"description"}},
	{cartograph.PartTags, []string{"tags"}},
	{cartograph.PartMetaTags, []string{"meta_tags"}},
	{cartograph.PartLinks, []string{"links"}},
	{cartograph.PartPermissions, []string{"permissions"}},
	{cartograph.PartAccess, []string{"general_access"}},
	{cartograph.PartAuthors, []string{"origin", "created_by", "last_changed_by"}},
	{cartograph.PartTimes, []string{"created_at", "updated_at"}},
	{cartograph.PartProvider, []string{"provider"}},
	{cartograph.PartProviderKeys, []string{"provider_type", "provider_resource_key", "provider_resource_type",
		"provider_account_id", "location"}},
	{cartograph.PartAttrs, []string{"attrs"}},
}

// ColumnPart returns the part of an entity that reads column, and false
// for a column of no part (search_text, or one that is not the entities').
func ColumnPart(column string) (cartograph.EntityParts, bool) {
	for _, pc := range partColumns {
		if slices.Contains(pc.columns, column) {
			return pc.part, true
		}
	}
	return 0, false
}

// entityColumns is the select list, on table alias, that reads parts of an
// entity: alias.* for all of them. Core columns named in known are left
// out, for a reader that knows their value (every neighbour of a hop has
// the caller's org and the hop's type); it fills them in.
func entityColumns(alias string, parts cartograph.EntityParts, known ...string) string {
	if parts == 0 || parts.Has(cartograph.AllParts) {
		return alias + ".*"
	}
	var b strings.Builder
	for _, pc := range partColumns {
		if pc.part != cartograph.PartCore && !parts.Has(pc.part) {
			continue
		}
		for _, c := range pc.columns {
			if pc.part == cartograph.PartCore && slices.Contains(known, c) {
				continue
			}
			if b.Len() > 0 {
				b.WriteString(", ")
			}
			b.WriteString(alias + "." + c)
		}
	}
	return b.String()
}

// apply writes a validated change onto the row.
func (r *entityRow) apply(c *cartograph.EntityChange) error {
	if c.Name != nil {
		r.Name = *c.Name
	}
	if c.Description != nil {
		r.Description = *c.Description
	}
	if c.Tags != nil {
		r.Tags = *c.Tags
	}
	if c.MetaTags != nil {
		r.MetaTags = *c.MetaTags
	}
	if c.Links != nil {
		r.Links = *c.Links
	}
	if c.Permissions != nil {
		var p map[string]any
		if err := json.Unmarshal(c.Permissions, &p); err != nil {
			return cartograph.Errorf(cartograph.Invalid, "permissions must be an object")
		}
		r.Permissions = json.RawMessage(mustJSON(p))
	}
	if c.GeneralAccess != nil {
		r.GeneralAccess = *c.GeneralAccess
	}
	for col, v := range c.Columns {
		switch col {
		case "provider":
			r.Provider = v
		case "provider_type":
			r.ProviderType = v
		case "provider_resource_key":
			r.ProviderResourceKey = v
		case "provider_resource_type":
			r.ProviderResourceType = v
		case "provider_account_id":
			r.ProviderAccountID = v
		case "location":
			r.Location = v
		}
	}
	if r.Attrs == nil {
		r.Attrs = map[string]json.RawMessage{}
	}
	for k, v := range c.Attrs {
		if !relationAttr(cartograph.EntityType(r.Type), k) {
			r.Attrs[k] = v
		}
	}
	r.fillDerived()
	r.SearchText = strings.ToLower(r.Name + "\x1f" + r.Description + "\x1f" + strings.Join(r.Tags, "\x1f"))
	return nil
}

// newEntityRow is a new entity of type t in the caller's org, written by the
// caller's key, with every collection empty rather than null, and change
// applied (derived fields and search text included).
func newEntityRow(a *cartograph.Actor, t cartograph.EntityType, origin cartograph.Origin, change *cartograph.EntityChange) (*entityRow, error) {
	row := &entityRow{OrgID: a.OrgID, Type: string(t), Origin: string(origin),
		CreatedBy: a.KeyName, LastChangedBy: a.KeyName, Tags: []string{}, GeneralAccess: []string{},
		MetaTags: []cartograph.MetaTag{}, Links: []cartograph.Link{}, Permissions: json.RawMessage("{}")}
	if err := row.apply(change); err != nil {
		return nil, err
	}
	return row, nil
}

// relationAttr reports fields that become relations rather than stored values.
func relationAttr(t cartograph.EntityType, name string) bool {
	return t == cartograph.Service && (name == "repositoryId" || name == "applications")
}

// Defaults for the provider fields a type's responses always carry
// (docs/catalog.md).
var (
	defaultProviderType = map[cartograph.EntityType]string{
		cartograph.Resource: "INFRA", cartograph.Library: "PACKAGES",
		cartograph.Repository: "REPOS", cartograph.Manifest: "REPOS",
	}
	defaultResourceType = map[cartograph.EntityType]string{
		cartograph.Library: "Library", cartograph.Repository: "Repository", cartograph.Manifest: "Manifest",
	}
)

func (r *entityRow) fillDerived() {
	t := cartograph.EntityType(r.Type)
	if r.ProviderType == "" {
		r.ProviderType = defaultProviderType[t]
	}
	if r.ProviderResourceType == "" {
		r.ProviderResourceType = defaultResourceType[t]
	}
	if t == cartograph.Library && r.ProviderResourceKey == "" {
		var pm string
		_ = json.Unmarshal(r.Attrs["packageManager"], &pm)
		r.ProviderResourceKey = pm + ":" + r.Name
	}
	if t == cartograph.Person {
		if _, ok := r.Attrs["isActive"]; !ok {
			r.Attrs["isActive"] = json.RawMessage("true")
		}
		if _, ok := r.Attrs["provisioned"]; !ok {
			r.Attrs["provisioned"] = json.RawMessage("false")
		}
	}
}

// duplicate explains a unique violation of the entity's identity.
func duplicate(r *entityRow) error {
	if r.Type == string(cartograph.Resource) {
		return cartograph.Errorf(cartograph.Conflict, "A resource with provider %q, account %q and key %q already exists",
			r.Provider, r.ProviderAccountID, r.ProviderResourceKey)
	}
	return &cartograph.Error{Code: cartograph.Conflict, Field: "name",
		Message: fmt.Sprintf("A %s named %q already exists", r.Type, r.Name)}
}

var entityNotFound = cartograph.Errorf(cartograph.NotFound, "Catalog entity not found")

// Create validates in and creates the entity with its relations (parents[],
// a service's repositoryId and applications) in one transaction. It returns
// Invalid listing every problem, NotFound for a missing related entity,
// Conflict for a duplicate or a templateId that is not a service create
// template, Unprocessable for a relation the catalog does not allow.
func (s *Entities) Create(ctx context.Context, in cartograph.EntityInput) (*cartograph.Entity, error) {
	a, err := cartograph.CanWrite(ctx)
	if err != nil {
		return nil, err
	}
	change, err := in.Validate(true)
	if err != nil {
		return nil, err
	}
	if err := checkTemplate(change); err != nil {
		return nil, err
	}
	origin := in.Origin
	if origin == "" {
		origin = cartograph.OriginManual
	}
	row, err := newEntityRow(a, in.Type, origin, change)
	if err != nil {
		return nil, err
	}
	err = inTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(row).ExcludeColumn("id", "created_at", "updated_at").Returning("*").Exec(ctx); err != nil {
			if isUniqueViolation(err, "") {
				return duplicate(row)
			}
			return err
		}
		return addChangeRelations(ctx, tx, a.OrgID, row, change, origin)
	})
	if err != nil {
		return nil, wrap(err)
	}
	return row.entity(), nil
}

// checkTemplate: a service's templateId must name a create template for services.
func checkTemplate(c *cartograph.EntityChange) error {
	raw, ok := c.Attrs["templateId"]
	if !ok || c.Type != cartograph.Service {
		return nil
	}
	var id string
	_ = json.Unmarshal(raw, &id)
	t := cartograph.TemplateByID(id)
	if t == nil || t.Category != "create" || t.EntityType != cartograph.Service {
		return &cartograph.Error{Code: cartograph.Conflict, Field: "templateId",
			Message: fmt.Sprintf("templateId %q is not a create template for services", id)}
	}
	return nil
}

// addChangeRelations creates the relations a create or update asks for.
// Relations an entity declares in its own parents[] are exempt from the
// DISCOVERY rule (CONTRACT.md §4).
func addChangeRelations(ctx context.Context, tx bun.Tx, org string, row *entityRow, c *cartograph.EntityChange, _ cartograph.Origin) error {
	var rels []cartograph.Relation
	if c.Parents != nil {
		for _, p := range *c.Parents {
			rels = append(rels, cartograph.ParentRelation(row.ID, p))
		}
	}
	if raw, ok := c.Attrs["repositoryId"]; ok && row.Type == string(cartograph.Service) {
		var id string
		_ = json.Unmarshal(raw, &id)
		rels = append(rels, cartograph.Relation{SourceID: row.ID, TargetID: id, Label: "has_repository"})
	}
	if raw, ok := c.Attrs["applications"]; ok && row.Type == string(cartograph.Service) {
		var ids []string
		_ = json.Unmarshal(raw, &ids)
		for _, id := range ids {
			rels = append(rels, cartograph.Relation{SourceID: row.ID, TargetID: id, Label: "belongs_to"})
		}
	}
	for _, r := range rels {
		if err := insertRelation(ctx, tx, org, r, true); err != nil {
			return err
		}
	}
	return nil
}

// Get returns the org's entity with that id; NotFound for an unknown id, an
// id of another org, or a string that is not a UUID.
func (s *Entities) Get(ctx context.Context, id string) (*cartograph.Entity, error) {
	a, err := cartograph.CanRead(ctx)
	if err != nil {
		return nil, err
	}
	if !cartograph.IsUUID(id) {
		return nil, entityNotFound
	}
	var row entityRow
	err = s.db.NewSelect().Model(&row).Where("org_id = ? AND id = ?", a.OrgID, id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, entityNotFound
	}
	if err != nil {
		return nil, wrap(err)
	}
	return row.entity(), nil
}

// Update applies a partial update to the org's entity of in.Type with that
// id. A DISCOVERY entity accepts only tags and meta tags (Unprocessable
// otherwise); an entity of another type is NotFound.
func (s *Entities) Update(ctx context.Context, id string, in cartograph.EntityInput) (*cartograph.Entity, error) {
	a, err := cartograph.CanWrite(ctx)
	if err != nil {
		return nil, err
	}
	if !cartograph.IsUUID(id) {
		return nil, entityNotFound
	}
	change, err := in.Validate(false)
	if err != nil {
		return nil, err
	}
	if err := checkTemplate(change); err != nil {
		return nil, err
	}
	var row entityRow
	err = inTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		err := tx.NewSelect().Model(&row).Where("org_id = ? AND id = ? AND type = ?", a.OrgID, id, in.Type).For("UPDATE").Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return entityNotFound
		}
		if err != nil {
			return err
		}
		if row.Origin == string(cartograph.OriginDiscovery) && !change.OnlyTagsAndMetaTags() {
			return cartograph.Errorf(cartograph.Unprocessable, "Only tags and meta tags of discovered entities can be changed")
		}
		if err := row.apply(change); err != nil {
			return err
		}
		row.LastChangedBy = a.KeyName
		if err := updateRow(ctx, tx, &row); err != nil {
			return err
		}
		return addChangeRelations(ctx, tx, a.OrgID, &row, change, cartograph.Origin(row.Origin))
	})
	if err != nil {
		return nil, wrap(err)
	}
	return row.entity(), nil
}

// updateRow writes every changeable column of row back, returning the row as
// stored; a unique violation is the Conflict duplicate explains.
func updateRow(ctx context.Context, db bun.IDB, row *entityRow) error {
	_, err := db.NewUpdate().Model(row).
		Set("name = ?name, description = ?description, tags = ?tags, meta_tags = ?meta_tags, links = ?links").
		Set("permissions = ?permissions, general_access = ?general_access, last_changed_by = ?last_changed_by").
		Set("provider = ?provider, provider_type = ?provider_type, provider_resource_key = ?provider_resource_key").
		Set("provider_resource_type = ?provider_resource_type, provider_account_id = ?provider_account_id").
		Set("location = ?location, attrs = ?attrs, search_text = ?search_text, updated_at = now()").
		Where("org_id = ?org_id AND id = ?id").Returning("*").Exec(ctx)
	if isUniqueViolation(err, "") {
		return duplicate(row)
	}
	return err
}

// Delete deletes the org's entity and, in the same statement through foreign
// keys, its relations, module settings and costs.
func (s *Entities) Delete(ctx context.Context, id string) error {
	a, err := cartograph.CanWrite(ctx)
	if err != nil {
		return err
	}
	if !cartograph.IsUUID(id) {
		return entityNotFound
	}
	n, err := execTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) (sql.Result, error) {
		return tx.NewDelete().Model((*entityRow)(nil)).Where("org_id = ? AND id = ?", a.OrgID, id).Exec(ctx)
	})
	if err != nil {
		return wrap(err)
	}
	if n == 0 {
		return entityNotFound
	}
	return nil
}

// SetMetaTags replaces the entity's whole meta tag list (allowed on
// DISCOVERY entities too) and returns the entity.
func (s *Entities) SetMetaTags(ctx context.Context, id string, tags []cartograph.MetaTag) (*cartograph.Entity, error) {
	a, err := cartograph.CanWrite(ctx)
	if err != nil {
		return nil, err
	}
	if !cartograph.IsUUID(id) {
		return nil, entityNotFound
	}
	var rows []entityRow
	_, err = execTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) (sql.Result, error) {
		return tx.NewUpdate().Model(&rows).
			Set("meta_tags = ?::jsonb, last_changed_by = ?, updated_at = now()", mustJSON(tags), a.KeyName).
			Where("org_id = ? AND id = ?", a.OrgID, id).Returning("*").Exec(ctx)
	})
	if err != nil {
		return nil, wrap(err)
	}
	if len(rows) == 0 {
		return nil, entityNotFound
	}
	return rows[0].entity(), nil
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only called with values that always marshal
	}
	return string(b)
}
