package model

import (
	"encoding/json"

	"cartograph/cartograph"
)

// Typed accessors for the type-specific fields kept in an entity's Attrs
// (cartograph.TypeFields); each returns the kind's zero value when unset.

func str(e *cartograph.Entity, name string) string {
	s, _ := cartograph.Attr[string](e, name)
	return s
}

func strs(e *cartograph.Entity, name string) []string {
	s, _ := cartograph.Attr[[]string](e, name)
	if s == nil {
		return []string{}
	}
	return s
}

func raw(e *cartograph.Entity, name, zero string) json.RawMessage {
	if v, ok := e.Attrs[name]; ok {
		return v
	}
	return json.RawMessage(zero)
}

func raws(e *cartograph.Entity, name string) []json.RawMessage {
	s, _ := cartograph.Attr[[]json.RawMessage](e, name)
	if s == nil {
		return []json.RawMessage{}
	}
	return s
}

func boolean(e *cartograph.Entity, name string) bool {
	b, _ := cartograph.Attr[bool](e, name)
	return b
}

func (x *Service) Lifecycle() string                  { return str(x.Entity, "lifecycle") }
func (x *Service) Languages() []string                { return strs(x.Entity, "languages") }
func (x *Service) RepositoryPath() string             { return str(x.Entity, "repositoryPath") }
func (x *Resource) Details() json.RawMessage          { return raw(x.Entity, "details", "{}") }
func (x *Resource) DeepLinkURL() string               { return str(x.Entity, "deepLinkUrl") }
func (x *Library) Requirements() string               { return str(x.Entity, "requirements") }
func (x *Library) PackageName() string                { return x.Name }
func (x *Library) PackageManager() string             { return str(x.Entity, "packageManager") }
func (x *Library) PackageLabel() string               { return str(x.Entity, "packageLabel") }
func (x *Repository) URL() string                     { return str(x.Entity, "url") }
func (x *Repository) Contributors() []json.RawMessage { return raws(x.Entity, "contributors") }
func (x *Repository) Languages() []json.RawMessage    { return raws(x.Entity, "languages") }
func (x *Repository) Release() json.RawMessage        { return raw(x.Entity, "release", "{}") }
func (x *Repository) Details() json.RawMessage        { return raw(x.Entity, "details", "{}") }
func (x *Manifest) RepoPath() string                  { return str(x.Entity, "repoPath") }
func (x *Person) Email() string                       { return str(x.Entity, "email") }
func (x *Person) IsActive() bool                      { return boolean(x.Entity, "isActive") }
func (x *Person) UserID() string                      { return str(x.Entity, "userId") }
func (x *Person) ExternalID() string                  { return str(x.Entity, "externalId") }
func (x *Person) FamilyName() string                  { return str(x.Entity, "familyName") }
func (x *Person) GivenName() string                   { return str(x.Entity, "givenName") }
func (x *Person) PhotoURL() string                    { return str(x.Entity, "photoUrl") }
func (x *Person) Provisioned() bool                   { return boolean(x.Entity, "provisioned") }
func (x *Base) Details() json.RawMessage              { return raw(x.Entity, "details", "{}") }

// TotalDependencies is a manifest's dependency count.
func (x *Manifest) TotalDependencies() float64 {
	n, _ := cartograph.Attr[float64](x.Entity, "totalDependencies")
	return n
}
