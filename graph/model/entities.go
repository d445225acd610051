package model

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/99designs/gqlgen/graphql"

	"cartograph/cartograph"
)

// Entity is the GraphQL Entity interface: one concrete type per entity type,
// each wrapping a *cartograph.Entity, so gqlgen can tell them apart.
type Entity interface {
	IsEntity()
	Base() *cartograph.Entity
}

// The concrete entity types. Common fields are promoted from the embedded
// entity; type-specific ones are methods reading its Attrs.
type (
	Application struct{ *cartograph.Entity }
	System      struct{ *cartograph.Entity }
	Environment struct{ *cartograph.Entity }
	Team        struct{ *cartograph.Entity }
	Api         struct{ *cartograph.Entity } //nolint:revive // named after the GraphQL type Api
	Service     struct{ *cartograph.Entity }
	Resource    struct{ *cartograph.Entity }
	Library     struct{ *cartograph.Entity }
	Repository  struct{ *cartograph.Entity }
	Manifest    struct{ *cartograph.Entity }
	Person      struct{ *cartograph.Entity }
	Base        struct{ *cartograph.Entity }
)

// Wrap returns e as its GraphQL type.
func Wrap(e *cartograph.Entity) Entity {
	switch e.Type {
	case cartograph.Application:
		return &Application{e}
	case cartograph.System:
		return &System{e}
	case cartograph.Environment:
		return &Environment{e}
	case cartograph.Team:
		return &Team{e}
	case cartograph.API:
		return &Api{e}
	case cartograph.Service:
		return &Service{e}
	case cartograph.Resource:
		return &Resource{e}
	case cartograph.Library:
		return &Library{e}
	case cartograph.Repository:
		return &Repository{e}
	case cartograph.Manifest:
		return &Manifest{e}
	case cartograph.Person:
		return &Person{e}
	case cartograph.Base:
		return &Base{e}
	}
	panic(fmt.Sprintf("model: unknown entity type %q", e.Type))
}

// WrapAll wraps each entity.
func WrapAll(es []*cartograph.Entity) []Entity {
	out := make([]Entity, len(es))
	for i, e := range es {
		out[i] = Wrap(e)
	}
	return out
}

func (*Application) IsEntity() {}
func (*System) IsEntity()      {}
func (*Environment) IsEntity() {}
func (*Team) IsEntity()        {}
func (*Api) IsEntity()         {}
func (*Service) IsEntity()     {}
func (*Resource) IsEntity()    {}
func (*Library) IsEntity()     {}
func (*Repository) IsEntity()  {}
func (*Manifest) IsEntity()    {}
func (*Person) IsEntity()      {}
func (*Base) IsEntity()        {}

func (x *Application) Base() *cartograph.Entity { return x.Entity }
func (x *System) Base() *cartograph.Entity      { return x.Entity }
func (x *Environment) Base() *cartograph.Entity { return x.Entity }
func (x *Team) Base() *cartograph.Entity        { return x.Entity }
func (x *Api) Base() *cartograph.Entity         { return x.Entity }
func (x *Service) Base() *cartograph.Entity     { return x.Entity }
func (x *Resource) Base() *cartograph.Entity    { return x.Entity }
func (x *Library) Base() *cartograph.Entity     { return x.Entity }
func (x *Repository) Base() *cartograph.Entity  { return x.Entity }
func (x *Manifest) Base() *cartograph.Entity    { return x.Entity }
func (x *Person) Base() *cartograph.Entity      { return x.Entity }
func (x *Base) Base() *cartograph.Entity        { return x.Entity }

// EntityPage is a page of entities; the query is kept to count lazily.
type EntityPage struct {
	Items       []Entity
	HasNextPage bool
	Query       cartograph.EntityQuery
	// Total is the number of matches when the page's statement counted them
	// (db.CountsInPage); nil leaves totalCount to a count of its own.
	Total *int
}

// MarshalRawJSON writes a JSON value as stored (the JSON scalar), compact:
// jsonb's text has spaces after colons and commas, and the GraphQL answer
// is written without another pass over it (graph's postJSON, which also
// does the HTML escaping).
func MarshalRawJSON(v json.RawMessage) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = w.Write(cartograph.AppendCompactJSON(nil, v, false))
	})
}

// UnmarshalRawJSON accepts any GraphQL input value as JSON.
func UnmarshalRawJSON(v any) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, cartograph.Errorf(cartograph.Invalid, "not a JSON value: %v", err)
	}
	return b, nil
}

// Impact is an impact query's answer.
type Impact struct {
	Nodes         []cartograph.WalkNode
	ByTeam        []cartograph.ImpactGroup
	ByEnvironment []cartograph.ImpactGroup
	Truncated     bool
}

// MarshalDate writes a YYYY-MM-DD date.
func MarshalDate(s string) graphql.Marshaler { return graphql.MarshalString(s) }

// UnmarshalDate accepts a YYYY-MM-DD date.
func UnmarshalDate(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", cartograph.Errorf(cartograph.Invalid, "a Date is a string YYYY-MM-DD")
	}
	if _, err := cartograph.ParseDate(s); err != nil {
		return "", cartograph.Errorf(cartograph.Invalid, "%q: %v", s, err)
	}
	return s, nil
}

// BatchItemFailure is one refused item of a batch.
type BatchItemFailure struct {
	Index  int
	Key    string
	Status int
	Error  string
}

// EntityBatchResult is what an entity batch did.
type EntityBatchResult struct {
	Success, Failures int
	Items             []Entity
	Failed            []BatchItemFailure
}

// CostBatchResult is what a cost batch did.
type CostBatchResult struct {
	Success, Failures int
	Failed            []BatchItemFailure
}
