// Relation page types, one per entity type a relation field reaches. Written
// once from the relation table (graph/relationfields.go); edit both together.

package model

import (
	"strings"

	"cartograph/cartograph"
)

// RelKey remembers which parent and hop a relation page belongs to, so its
// total can be counted lazily.
type RelKey struct {
	ParentID string
	Hop      cartograph.Hop
	Where    string // canonical where text, "" for none
}

// ApplicationPage is a page of application entities reached through a relation.
type ApplicationPage struct {
	Items       []*Application
	HasNextPage bool
	Key         RelKey
}

// NewApplicationPage wraps entities as a ApplicationPage.
func NewApplicationPage(es []*cartograph.Entity, more bool, key RelKey) *ApplicationPage {
	items := make([]*Application, len(es))
	for i, e := range es {
		items[i] = &Application{e}
	}
	return &ApplicationPage{Items: items, HasNextPage: more, Key: key}
}

// EnvironmentPage is a page of environment entities reached through a relation.
type EnvironmentPage struct {
	Items       []*Environment
	HasNextPage bool
	Key         RelKey
}

// NewEnvironmentPage wraps entities as a EnvironmentPage.
func NewEnvironmentPage(es []*cartograph.Entity, more bool, key RelKey) *EnvironmentPage {
	items := make([]*Environment, len(es))
	for i, e := range es {
		items[i] = &Environment{e}
	}
	return &EnvironmentPage{Items: items, HasNextPage: more, Key: key}
}

// LibraryPage is a page of library entities reached through a relation.
type LibraryPage struct {
	Items       []*Library
	HasNextPage bool
	Key         RelKey
}

// NewLibraryPage wraps entities as a LibraryPage.
func NewLibraryPage(es []*cartograph.Entity, more bool, key RelKey) *LibraryPage {
	items := make([]*Library, len(es))
	for i, e := range es {
		items[i] = &Library{e}
	}
	return &LibraryPage{Items: items, HasNextPage: more, Key: key}
}

// ManifestPage is a page of manifest entities reached through a relation.
type ManifestPage struct {
	Items       []*Manifest
	HasNextPage bool
	Key         RelKey
}

// NewManifestPage wraps entities as a ManifestPage.
func NewManifestPage(es []*cartograph.Entity, more bool, key RelKey) *ManifestPage {
	items := make([]*Manifest, len(es))
	for i, e := range es {
		items[i] = &Manifest{e}
	}
	return &ManifestPage{Items: items, HasNextPage: more, Key: key}
}

// PersonPage is a page of person entities reached through a relation.
type PersonPage struct {
	Items       []*Person
	HasNextPage bool
	Key         RelKey
}

// NewPersonPage wraps entities as a PersonPage.
func NewPersonPage(es []*cartograph.Entity, more bool, key RelKey) *PersonPage {
	items := make([]*Person, len(es))
	for i, e := range es {
		items[i] = &Person{e}
	}
	return &PersonPage{Items: items, HasNextPage: more, Key: key}
}

// RepositoryPage is a page of repository entities reached through a relation.
type RepositoryPage struct {
	Items       []*Repository
	HasNextPage bool
	Key         RelKey
}

// NewRepositoryPage wraps entities as a RepositoryPage.
func NewRepositoryPage(es []*cartograph.Entity, more bool, key RelKey) *RepositoryPage {
	items := make([]*Repository, len(es))
	for i, e := range es {
		items[i] = &Repository{e}
	}
	return &RepositoryPage{Items: items, HasNextPage: more, Key: key}
}

// ResourcePage is a page of resource entities reached through a relation.
type ResourcePage struct {
	Items       []*Resource
	HasNextPage bool
	Key         RelKey
}

// NewResourcePage wraps entities as a ResourcePage.
func NewResourcePage(es []*cartograph.Entity, more bool, key RelKey) *ResourcePage {
	items := make([]*Resource, len(es))
	for i, e := range es {
		items[i] = &Resource{e}
	}
	return &ResourcePage{Items: items, HasNextPage: more, Key: key}
}

// ServicePage is a page of service entities reached through a relation.
type ServicePage struct {
	Items       []*Service
	HasNextPage bool
	Key         RelKey
}

// NewServicePage wraps entities as a ServicePage.
func NewServicePage(es []*cartograph.Entity, more bool, key RelKey) *ServicePage {
	items := make([]*Service, len(es))
	for i, e := range es {
		items[i] = &Service{e}
	}
	return &ServicePage{Items: items, HasNextPage: more, Key: key}
}

// SystemPage is a page of system entities reached through a relation.
type SystemPage struct {
	Items       []*System
	HasNextPage bool
	Key         RelKey
}

// NewSystemPage wraps entities as a SystemPage.
func NewSystemPage(es []*cartograph.Entity, more bool, key RelKey) *SystemPage {
	items := make([]*System, len(es))
	for i, e := range es {
		items[i] = &System{e}
	}
	return &SystemPage{Items: items, HasNextPage: more, Key: key}
}

// TeamPage is a page of team entities reached through a relation.
type TeamPage struct {
	Items       []*Team
	HasNextPage bool
	Key         RelKey
}

// NewTeamPage wraps entities as a TeamPage.
func NewTeamPage(es []*cartograph.Entity, more bool, key RelKey) *TeamPage {
	items := make([]*Team, len(es))
	for i, e := range es {
		items[i] = &Team{e}
	}
	return &TeamPage{Items: items, HasNextPage: more, Key: key}
}

// TypeName is the GraphQL type of an entity type.
func TypeName(t cartograph.EntityType) string {
	if name, ok := typeNames[t]; ok {
		return name
	}
	return typeName(t)
}

// typeNames holds every type's name, as a page of entities asks for one per
// item.
var typeNames = func() map[cartograph.EntityType]string {
	out := map[cartograph.EntityType]string{}
	for _, t := range cartograph.EntityTypes {
		out[t] = typeName(t)
	}
	return out
}()

func typeName(t cartograph.EntityType) string {
	if t == cartograph.API {
		return "Api"
	}
	return strings.ToUpper(string(t[:1])) + string(t[1:])
}
