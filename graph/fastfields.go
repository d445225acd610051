package graph

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"cartograph/cartograph"
	"cartograph/graph/model"
)

// The fields the fast path (fastpath.go) knows, by the GraphQL type they
// are on. Each writer reads its value as the generated code's binding does
// (the same struct field, model method or resolver) and writes it with the
// marshaler gqlgen uses for the field's GraphQL type. A field missing here
// sends its query to gqlgen; TestFastReadsMatchGqlgen asks for every field
// of every entity type and checks both answers are the same bytes.

// fieldFor returns how to write field name of GraphQL type typ and the type
// of its objects ("" for a scalar), or false when the fast path does not
// know it.
func fieldFor(typ, name string) (fieldWriter, string, bool) {
	if name == "__typename" {
		return constant(typ), "", true
	}
	if fields, ok := objectTypes[typ]; ok {
		w, ok := fields[name]
		return w.write, w.child, ok
	}
	if item, ok := relationPages[typ]; ok {
		switch name {
		case "items":
			return writeRelItems, item, true
		case "totalCount":
			return writeRelCount, "", true
		case "hasNextPage":
			return func(r *fastRun, _ *fastField, obj any) error {
				return r.value(graphql.MarshalBoolean(obj.(*fastPage).more))
			}, "", true
		}
		return nil, "", false
	}
	if _, ok := entityImplementors[typ]; !ok {
		return nil, "", false
	}
	if rf, ok := relationFields[typ+"."+name]; ok {
		return writeRelation(typ, typ+"."+name), rf.page, true
	}
	switch name {
	case "cost":
		w, ok := costFields[typ]
		return w, "CostSummary", ok
	case "metaTags":
		return writeMetaTags, "MetaTag", true
	case "links":
		return writeLinks, "Link", true
	}
	w, ok := typeScalars[typ+"."+name]
	if !ok {
		w, ok = entityScalars[name]
	}
	return w, "", ok
}

// objectTypes are the object types other than entities and relation
// pages, each with its fields.
var objectTypes = map[string]map[string]objectField{
	"Query":       queryFields,
	"EntityPage":  entityPageFields,
	"MetaTag":     scalarFields(metaTagFields),
	"Link":        scalarFields(linkFields),
	"CostSummary": costSummaryFields,
	"CostShare":   scalarFields(costShareFields),
	"DayCost":     scalarFields(dayCostFields),
}

// scalarFields are fields whose values are scalars, as objectFields.
func scalarFields(ws map[string]fieldWriter) map[string]objectField {
	out := make(map[string]objectField, len(ws))
	for name, w := range ws {
		out[name] = objectField{w, ""}
	}
	return out
}

// objectField is a field whose value is objects of type child ("" for a
// scalar).
type objectField struct {
	write fieldWriter
	child string
}

func constant(s string) fieldWriter {
	return func(r *fastRun, _ *fastField, _ any) error { r.quote(s); return nil }
}

var queryFields = map[string]objectField{
	"entities": {writeEntities, "EntityPage"},
	"entity":   {writeEntity, "Entity"},
}

func writeEntities(r *fastRun, f *fastField, _ any) error {
	a, err := r.arguments(f, (*executionContext).field_Query_entities_args)
	if err != nil {
		return err
	}
	var page *model.EntityPage
	err = r.rootField(f, func(ctx context.Context) (err error) {
		page, err = r.res.Query().Entities(ctx,
			a["types"].([]cartograph.EntityType), a["where"].(map[string]any), a["search"].(*string),
			a["searchNameOnly"].(*bool), a["sort"].(*model.EntitySortInput), a["first"].(*int), a["offset"].(*int))
		return err
	})
	if err != nil {
		return err
	}
	if page == nil {
		return errFastPathDeclined // a null where the schema promises a page
	}
	return r.object("EntityPage", f.Selections, page)
}

func writeEntity(r *fastRun, f *fastField, _ any) error {
	a, err := r.arguments(f, (*executionContext).field_Query_entity_args)
	if err != nil {
		return err
	}
	var e model.Entity
	err = r.rootField(f, func(ctx context.Context) (err error) {
		e, err = r.res.Query().Entity(ctx, a["id"].(string))
		return err
	})
	if err != nil {
		return err
	}
	if e == nil {
		r.buf.WriteString("null")
		return nil
	}
	return r.object(model.TypeName(e.Base().Type), f.Selections, e.Base())
}

var entityPageFields = map[string]objectField{
	"items": {func(r *fastRun, f *fastField, obj any) error {
		items := obj.(*model.EntityPage).Items
		es := make([]*cartograph.Entity, len(items))
		for i, it := range items {
			es[i] = it.Base()
		}
		return r.entityList(f.Selections, es)
	}, "Entity"},
	"totalCount": {func(r *fastRun, _ *fastField, obj any) error {
		n, err := r.res.EntityPage().TotalCount(r.ctx, obj.(*model.EntityPage))
		if err != nil {
			return err
		}
		return r.value(graphql.MarshalInt(n))
	}, ""},
	"hasNextPage": {func(r *fastRun, _ *fastField, obj any) error {
		return r.value(graphql.MarshalBoolean(obj.(*model.EntityPage).HasNextPage))
	}, ""},
}

// fastPage is a relation field's page on the fast path: model's typed pages
// (model.ServicePage...) hold the same, wrapped per type.
type fastPage struct {
	items []*cartograph.Entity
	more  bool
	key   model.RelKey
}

// relationPages maps each relation page type to its items' type.
var relationPages = func() map[string]string {
	out := map[string]string{}
	for _, rf := range relationFields {
		out[rf.page] = strings.TrimSuffix(rf.page, "Page")
	}
	return out
}()

// writeRelation resolves relation field name ("Service.dependencies") of an
// entity of type typ as its generated resolver does (relatedPage), with the
// field's query made once for all its parents (relation).
func writeRelation(typ, name string) fieldWriter {
	return func(r *fastRun, f *fastField, obj any) error {
		q, ctx, err := r.relation(f, typ, name)
		if err != nil {
			return err
		}
		items, more, key, err := q.load(ctx, obj.(*cartograph.Entity))
		if err != nil {
			return err
		}
		return r.object(relationFields[name].page, f.Selections, &fastPage{items, more, key})
	}
}

// relation returns relation field f's query and resolver context, made at
// its first parent and kept for the others: its arguments and selections
// are the same for all (f is one type's field, as name is). Every relation
// field takes the same arguments, so one field's generated coercion serves
// all.
func (r *fastRun) relation(f *fastField, typ, name string) (relationQuery, context.Context, error) {
	if c, ok := r.relations[f]; ok {
		return c.q, c.ctx, nil
	}
	a, err := r.arguments(f, (*executionContext).field_Service_dependencies_args)
	if err != nil {
		return relationQuery{}, nil, err
	}
	ctx := r.resolverContext(f, typ)
	q, err := newRelationQuery(ctx, name, a["where"].(map[string]any), a["first"].(*int), a["offset"].(*int))
	if err != nil {
		return relationQuery{}, nil, err
	}
	if r.relations == nil {
		r.relations = map[*fastField]relationCall{}
	}
	r.relations[f] = relationCall{q, ctx}
	return q, ctx, nil
}

// relationCall is a relation field's query and context within one run.
type relationCall struct {
	q   relationQuery
	ctx context.Context
}

func writeRelItems(r *fastRun, f *fastField, obj any) error {
	return r.entityList(f.Selections, obj.(*fastPage).items)
}

func writeRelCount(r *fastRun, _ *fastField, obj any) error {
	n, err := relatedCount(r.ctx, obj.(*fastPage).key)
	if err != nil {
		return err
	}
	return r.value(graphql.MarshalInt(n))
}

func writeMetaTags(r *fastRun, f *fastField, obj any) error {
	return objectList(r, "MetaTag", f, obj.(*cartograph.Entity).MetaTags)
}

func writeLinks(r *fastRun, f *fastField, obj any) error {
	return objectList(r, "Link", f, obj.(*cartograph.Entity).Links)
}

// objectList writes items, objects of GraphQL type typ, as f's list.
func objectList[T any](r *fastRun, typ string, f *fastField, items []T) error {
	r.buf.WriteByte('[')
	for i := range items {
		if i > 0 {
			r.buf.WriteByte(',')
		}
		if err := r.object(typ, f.Selections, &items[i]); err != nil {
			return err
		}
	}
	r.buf.WriteByte(']')
	return nil
}

var metaTagFields = map[string]fieldWriter{
	"name":  text(func(m *cartograph.MetaTag) string { return m.Name }),
	"value": raw(func(m *cartograph.MetaTag) json.RawMessage { return m.Value }),
	"type":  text(func(m *cartograph.MetaTag) string { return m.Type }),
	// createdBy is a nullable String bound to a Go string: "" is written
	// as "", as gqlgen does.
	"createdBy": text(func(m *cartograph.MetaTag) string { return m.CreatedBy }),
}

var linkFields = map[string]fieldWriter{
	"url":   text(func(l *cartograph.Link) string { return l.URL }),
	"title": text(func(l *cartograph.Link) string { return l.Title }),
	"icon":  text(func(l *cartograph.Link) string { return l.Icon }),
}

// The scalar writers: each reads a value from the object, a T, and writes
// it as gqlgen writes the field's GraphQL type.

// text writes a String or ID.
func text[T any](get func(T) string) fieldWriter {
	return func(r *fastRun, _ *fastField, obj any) error { r.quote(get(obj.(T))); return nil }
}

// texts writes a [String!]!.
func texts[T any](get func(T) []string) fieldWriter {
	return func(r *fastRun, _ *fastField, obj any) error {
		r.buf.WriteByte('[')
		for i, s := range get(obj.(T)) {
			if i > 0 {
				r.buf.WriteByte(',')
			}
			r.quote(s)
		}
		r.buf.WriteByte(']')
		return nil
	}
}

// raw writes a JSON!.
func raw[T any](get func(T) json.RawMessage) fieldWriter {
	return func(r *fastRun, _ *fastField, obj any) error { return r.json(get(obj.(T))) }
}

// raws writes a [JSON!]!.
func raws[T any](get func(T) []json.RawMessage) fieldWriter {
	return func(r *fastRun, _ *fastField, obj any) error {
		r.buf.WriteByte('[')
		for i, v := range get(obj.(T)) {
			if i > 0 {
				r.buf.WriteByte(',')
			}
			if err := r.json(v); err != nil {
				return err
			}
		}
		r.buf.WriteByte(']')
		return nil
	}
}

// flag writes a Boolean!.
func flag[T any](get func(T) bool) fieldWriter {
	return func(r *fastRun, _ *fastField, obj any) error { return r.value(graphql.MarshalBoolean(get(obj.(T)))) }
}

// instant writes a DateTime!.
func instant[T any](get func(T) time.Time) fieldWriter {
	return func(r *fastRun, _ *fastField, obj any) error { return r.value(graphql.MarshalTime(get(obj.(T)))) }
}

// quote writes s as a GraphQL string, escaped as gqlgen's MarshalString
// escapes it, without the closure and interface writes that allocate and
// dispatch for every string of a page (TestQuoteAsGQLGen).
func (r *fastRun) quote(s string) {
	b := &r.buf
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '\\' && c != '"' {
			continue
		}
		b.WriteString(s[start:i])
		switch c {
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		case '\n':
			b.WriteString(`\n`)
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		default:
			b.WriteString(`\u00`)
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xf])
		}
		start = i + 1
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}

const hexDigits = "0123456789ABCDEF"

// json writes a JSON! value; a nil one is a null gqlgen reports.
func (r *fastRun) json(v json.RawMessage) error {
	if v == nil {
		return errFastPathDeclined
	}
	return r.value(model.MarshalRawJSON(v))
}

// entity reads an entity's field.
type entity = *cartograph.Entity

// entityScalars are the Entity interface's scalar fields. Enums are named
// by the generated code's own maps.
var entityScalars = map[string]fieldWriter{
	"id":            text(func(e entity) string { return e.ID }),
	"orgId":         text(func(e entity) string { return e.OrgID }),
	"type":          text(func(e entity) string { return marshalNEntityType2cartographᚋcartographᚐEntityType[e.Type] }),
	"name":          text(func(e entity) string { return e.Name }),
	"description":   text(func(e entity) string { return e.Description }),
	"tags":          texts(func(e entity) []string { return e.Tags }),
	"permissions":   raw(func(e entity) json.RawMessage { return e.Permissions }),
	"generalAccess": texts(func(e entity) []string { return e.GeneralAccess }),
	"origin":        text(func(e entity) string { return marshalNOrigin2cartographᚋcartographᚐOrigin[e.Origin] }),
	"createdBy":     text(func(e entity) string { return e.CreatedBy }),
	"lastChangedBy": text(func(e entity) string { return e.LastChangedBy }),
	"createdAt":     instant(func(e entity) time.Time { return e.CreatedAt }),
	"updatedAt":     instant(func(e entity) time.Time { return e.UpdatedAt }),

	// Provider fields, on the types whose schema has them.
	"provider":             text(func(e entity) string { return e.Provider }),
	"providerType":         text(func(e entity) string { return e.ProviderType }),
	"providerResourceKey":  text(func(e entity) string { return e.ProviderResourceKey }),
	"providerResourceType": text(func(e entity) string { return e.ProviderResourceType }),
	"providerAccountId":    text(func(e entity) string { return e.ProviderAccountID }),
	"location":             text(func(e entity) string { return e.Location }),
}

// typeScalars are the type-specific scalar fields, by "Type.field": the
// model's methods over the entity's attributes.
var typeScalars = map[string]fieldWriter{
	"Service.lifecycle":      text(func(e entity) string { return (&model.Service{Entity: e}).Lifecycle() }),
	"Service.languages":      texts(func(e entity) []string { return (&model.Service{Entity: e}).Languages() }),
	"Service.repositoryPath": text(func(e entity) string { return (&model.Service{Entity: e}).RepositoryPath() }),

	"Resource.details":     raw(func(e entity) json.RawMessage { return (&model.Resource{Entity: e}).Details() }),
	"Resource.deepLinkUrl": text(func(e entity) string { return (&model.Resource{Entity: e}).DeepLinkURL() }),

	"Library.requirements":   text(func(e entity) string { return (&model.Library{Entity: e}).Requirements() }),
	"Library.packageName":    text(func(e entity) string { return (&model.Library{Entity: e}).PackageName() }),
	"Library.packageManager": text(func(e entity) string { return (&model.Library{Entity: e}).PackageManager() }),
	"Library.packageLabel":   text(func(e entity) string { return (&model.Library{Entity: e}).PackageLabel() }),

	"Repository.url":          text(func(e entity) string { return (&model.Repository{Entity: e}).URL() }),
	"Repository.contributors": raws(func(e entity) []json.RawMessage { return (&model.Repository{Entity: e}).Contributors() }),
	"Repository.languages":    raws(func(e entity) []json.RawMessage { return (&model.Repository{Entity: e}).Languages() }),
	"Repository.release":      raw(func(e entity) json.RawMessage { return (&model.Repository{Entity: e}).Release() }),
	"Repository.details":      raw(func(e entity) json.RawMessage { return (&model.Repository{Entity: e}).Details() }),

	"Manifest.repoPath": text(func(e entity) string { return (&model.Manifest{Entity: e}).RepoPath() }),
	"Manifest.totalDependencies": func(r *fastRun, _ *fastField, obj any) error {
		// Float marshals through a context marshaler, which refuses NaN
		// and infinities: gqlgen's error to report.
		n := (&model.Manifest{Entity: obj.(entity)}).TotalDependencies()
		return graphql.MarshalFloatContext(n).MarshalGQLContext(r.ctx, &r.buf)
	},

	"Person.email":       text(func(e entity) string { return (&model.Person{Entity: e}).Email() }),
	"Person.isActive":    flag(func(e entity) bool { return (&model.Person{Entity: e}).IsActive() }),
	"Person.userId":      text(func(e entity) string { return (&model.Person{Entity: e}).UserID() }),
	"Person.externalId":  text(func(e entity) string { return (&model.Person{Entity: e}).ExternalID() }),
	"Person.familyName":  text(func(e entity) string { return (&model.Person{Entity: e}).FamilyName() }),
	"Person.givenName":   text(func(e entity) string { return (&model.Person{Entity: e}).GivenName() }),
	"Person.photoUrl":    text(func(e entity) string { return (&model.Person{Entity: e}).PhotoURL() }),
	"Person.provisioned": flag(func(e entity) bool { return (&model.Person{Entity: e}).Provisioned() }),

	"Base.details": raw(func(e entity) json.RawMessage { return (&model.Base{Entity: e}).Details() }),
}
