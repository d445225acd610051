package graph

import (
	"context"
	"encoding/json"
	"strings"

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
	switch typ {
	case "Query":
		w, ok := queryFields[name]
		return w.write, w.child, ok
	case "EntityPage":
		w, ok := entityPageFields[name]
		return w.write, w.child, ok
	case "MetaTag":
		w, ok := metaTagFields[name]
		return w, "", ok
	case "Link":
		w, ok := linkFields[name]
		return w, "", ok
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
	if _, ok := fastEntityImplementors[typ]; !ok {
		return nil, "", false
	}
	if rf, ok := relationFields[typ+"."+name]; ok {
		return writeRelation(typ, typ+"."+name), rf.page, true
	}
	switch name {
	case "metaTags":
		return writeMetaTags, "MetaTag", true
	case "links":
		return writeLinks, "Link", true
	}
	s, ok := typeScalars[typ+"."+name]
	if !ok {
		s, ok = entityScalars[name]
	}
	if !ok {
		return nil, "", false
	}
	return func(r *fastRun, _ *fastField, obj any) error {
		return s(r, obj.(*cartograph.Entity))
	}, "", true
}

// objectField is a field whose value is objects of type child.
type objectField struct {
	write fieldWriter
	child string
}

func constant(s string) fieldWriter {
	return func(r *fastRun, _ *fastField, _ any) error { return r.value(graphql.MarshalString(s)) }
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
	if err != nil || page == nil {
		return errFastPathDeclined
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
// entity of type typ through relatedPage, as its generated resolver does.
// Every relation field takes the same arguments, so one field's generated
// coercion serves all.
func writeRelation(typ, name string) fieldWriter {
	return func(r *fastRun, f *fastField, obj any) error {
		a, err := r.arguments(f, (*executionContext).field_Service_dependencies_args)
		if err != nil {
			return err
		}
		p, err := relatedPage(r.resolverContext(f, typ), obj.(*cartograph.Entity), name,
			a["where"].(map[string]any), a["first"].(*int), a["offset"].(*int),
			func(es []*cartograph.Entity, more bool, key model.RelKey) *fastPage { return &fastPage{es, more, key} })
		if err != nil {
			return err
		}
		return r.object(relationFields[name].page, f.Selections, p)
	}
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
	"name": func(r *fastRun, _ *fastField, o any) error {
		return r.value(graphql.MarshalString(o.(*cartograph.MetaTag).Name))
	},
	"value": func(r *fastRun, _ *fastField, o any) error { return r.json(o.(*cartograph.MetaTag).Value) },
	"type": func(r *fastRun, _ *fastField, o any) error {
		return r.value(graphql.MarshalString(o.(*cartograph.MetaTag).Type))
	},
	// createdBy is a nullable String bound to a Go string: "" is written
	// as "", as gqlgen does.
	"createdBy": func(r *fastRun, _ *fastField, o any) error {
		return r.value(graphql.MarshalString(o.(*cartograph.MetaTag).CreatedBy))
	},
}

var linkFields = map[string]fieldWriter{
	"url": func(r *fastRun, _ *fastField, o any) error {
		return r.value(graphql.MarshalString(o.(*cartograph.Link).URL))
	},
	"title": func(r *fastRun, _ *fastField, o any) error {
		return r.value(graphql.MarshalString(o.(*cartograph.Link).Title))
	},
	"icon": func(r *fastRun, _ *fastField, o any) error {
		return r.value(graphql.MarshalString(o.(*cartograph.Link).Icon))
	},
}

// scalar writes one scalar field of an entity.
type scalar func(r *fastRun, e *cartograph.Entity) error

func str(get func(*cartograph.Entity) string) scalar {
	return func(r *fastRun, e *cartograph.Entity) error { return r.value(graphql.MarshalString(get(e))) }
}

func strList(get func(*cartograph.Entity) []string) scalar {
	return func(r *fastRun, e *cartograph.Entity) error {
		r.buf.WriteByte('[')
		for i, s := range get(e) {
			if i > 0 {
				r.buf.WriteByte(',')
			}
			graphql.MarshalString(s).MarshalGQL(&r.buf)
		}
		r.buf.WriteByte(']')
		return nil
	}
}

func jsonValue(get func(*cartograph.Entity) json.RawMessage) scalar {
	return func(r *fastRun, e *cartograph.Entity) error { return r.json(get(e)) }
}

func jsonList(get func(*cartograph.Entity) []json.RawMessage) scalar {
	return func(r *fastRun, e *cartograph.Entity) error {
		r.buf.WriteByte('[')
		for i, v := range get(e) {
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

func boolean(get func(*cartograph.Entity) bool) scalar {
	return func(r *fastRun, e *cartograph.Entity) error { return r.value(graphql.MarshalBoolean(get(e))) }
}

// json writes a JSON! value; a nil one is a null gqlgen reports.
func (r *fastRun) json(v json.RawMessage) error {
	if v == nil {
		return errFastPathDeclined
	}
	return r.value(model.MarshalRawJSON(v))
}

// entityScalars are the Entity interface's scalar fields.
var entityScalars = map[string]scalar{
	"id":    func(r *fastRun, e *cartograph.Entity) error { return r.value(graphql.MarshalID(e.ID)) },
	"orgId": str(func(e *cartograph.Entity) string { return e.OrgID }),
	"type": str(func(e *cartograph.Entity) string {
		if !e.Type.Valid() {
			return "" // as the generated enum map does for a value it lacks
		}
		return strings.ToUpper(string(e.Type))
	}),
	"name":          str(func(e *cartograph.Entity) string { return e.Name }),
	"description":   str(func(e *cartograph.Entity) string { return e.Description }),
	"tags":          strList(func(e *cartograph.Entity) []string { return e.Tags }),
	"permissions":   jsonValue(func(e *cartograph.Entity) json.RawMessage { return e.Permissions }),
	"generalAccess": strList(func(e *cartograph.Entity) []string { return e.GeneralAccess }),
	"origin": str(func(e *cartograph.Entity) string {
		if e.Origin != cartograph.OriginManual && e.Origin != cartograph.OriginDiscovery {
			return ""
		}
		return string(e.Origin)
	}),
	"createdBy":     str(func(e *cartograph.Entity) string { return e.CreatedBy }),
	"lastChangedBy": str(func(e *cartograph.Entity) string { return e.LastChangedBy }),
	"createdAt":     func(r *fastRun, e *cartograph.Entity) error { return r.value(graphql.MarshalTime(e.CreatedAt)) },
	"updatedAt":     func(r *fastRun, e *cartograph.Entity) error { return r.value(graphql.MarshalTime(e.UpdatedAt)) },

	// Provider fields, on the types whose schema has them.
	"provider":             str(func(e *cartograph.Entity) string { return e.Provider }),
	"providerType":         str(func(e *cartograph.Entity) string { return e.ProviderType }),
	"providerResourceKey":  str(func(e *cartograph.Entity) string { return e.ProviderResourceKey }),
	"providerResourceType": str(func(e *cartograph.Entity) string { return e.ProviderResourceType }),
	"providerAccountId":    str(func(e *cartograph.Entity) string { return e.ProviderAccountID }),
	"location":             str(func(e *cartograph.Entity) string { return e.Location }),
}

// typeScalars are the type-specific scalar fields, by "Type.field": the
// model's methods over the entity's attributes.
var typeScalars = map[string]scalar{
	"Service.lifecycle":      str(func(e *cartograph.Entity) string { return (&model.Service{Entity: e}).Lifecycle() }),
	"Service.languages":      strList(func(e *cartograph.Entity) []string { return (&model.Service{Entity: e}).Languages() }),
	"Service.repositoryPath": str(func(e *cartograph.Entity) string { return (&model.Service{Entity: e}).RepositoryPath() }),

	"Resource.details":     jsonValue(func(e *cartograph.Entity) json.RawMessage { return (&model.Resource{Entity: e}).Details() }),
	"Resource.deepLinkUrl": str(func(e *cartograph.Entity) string { return (&model.Resource{Entity: e}).DeepLinkURL() }),

	"Library.requirements":   str(func(e *cartograph.Entity) string { return (&model.Library{Entity: e}).Requirements() }),
	"Library.packageName":    str(func(e *cartograph.Entity) string { return (&model.Library{Entity: e}).PackageName() }),
	"Library.packageManager": str(func(e *cartograph.Entity) string { return (&model.Library{Entity: e}).PackageManager() }),
	"Library.packageLabel":   str(func(e *cartograph.Entity) string { return (&model.Library{Entity: e}).PackageLabel() }),

	"Repository.url":          str(func(e *cartograph.Entity) string { return (&model.Repository{Entity: e}).URL() }),
	"Repository.contributors": jsonList(func(e *cartograph.Entity) []json.RawMessage { return (&model.Repository{Entity: e}).Contributors() }),
	"Repository.languages":    jsonList(func(e *cartograph.Entity) []json.RawMessage { return (&model.Repository{Entity: e}).Languages() }),
	"Repository.release":      jsonValue(func(e *cartograph.Entity) json.RawMessage { return (&model.Repository{Entity: e}).Release() }),
	"Repository.details":      jsonValue(func(e *cartograph.Entity) json.RawMessage { return (&model.Repository{Entity: e}).Details() }),

	"Manifest.repoPath": str(func(e *cartograph.Entity) string { return (&model.Manifest{Entity: e}).RepoPath() }),
	"Manifest.totalDependencies": func(r *fastRun, e *cartograph.Entity) error {
		// Float marshals through a context marshaler, which refuses NaN
		// and infinities: gqlgen's error to report.
		return graphql.MarshalFloatContext((&model.Manifest{Entity: e}).TotalDependencies()).MarshalGQLContext(r.ctx, &r.buf)
	},

	"Person.email":       str(func(e *cartograph.Entity) string { return (&model.Person{Entity: e}).Email() }),
	"Person.isActive":    boolean(func(e *cartograph.Entity) bool { return (&model.Person{Entity: e}).IsActive() }),
	"Person.userId":      str(func(e *cartograph.Entity) string { return (&model.Person{Entity: e}).UserID() }),
	"Person.externalId":  str(func(e *cartograph.Entity) string { return (&model.Person{Entity: e}).ExternalID() }),
	"Person.familyName":  str(func(e *cartograph.Entity) string { return (&model.Person{Entity: e}).FamilyName() }),
	"Person.givenName":   str(func(e *cartograph.Entity) string { return (&model.Person{Entity: e}).GivenName() }),
	"Person.photoUrl":    str(func(e *cartograph.Entity) string { return (&model.Person{Entity: e}).PhotoURL() }),
	"Person.provisioned": boolean(func(e *cartograph.Entity) bool { return (&model.Person{Entity: e}).Provisioned() }),

	"Base.details": jsonValue(func(e *cartograph.Entity) json.RawMessage { return (&model.Base{Entity: e}).Details() }),
}
