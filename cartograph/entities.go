package cartograph

import (
	"encoding/json"
	"slices"
	"time"
)

// EntityType is the kind of a catalog entity.
type EntityType string

// The twelve entity types of the Configure8 catalog.
const (
	Application EntityType = "application"
	System      EntityType = "system"
	Service     EntityType = "service"
	Resource    EntityType = "resource"
	Environment EntityType = "environment"
	Person      EntityType = "person"
	API         EntityType = "api"
	Repository  EntityType = "repository"
	Library     EntityType = "library"
	Manifest    EntityType = "manifest"
	Team        EntityType = "team"
	Base        EntityType = "base"
)

// EntityTypes lists every type, in the order the OpenAPI document gives.
var EntityTypes = []EntityType{Application, System, Service, Resource, Environment, Person, API,
	Repository, Library, Manifest, Team, Base}

// Valid reports whether t is a known entity type.
func (t EntityType) Valid() bool { return slices.Contains(EntityTypes, t) }

// Origin says how an entity came to be: by hand, or found by a discovery
// agent. DISCOVERY entities accept changes to tags and meta tags only.
type Origin string

// The origins of an entity.
const (
	OriginManual    Origin = "MANUAL"
	OriginDiscovery Origin = "DISCOVERY"
)

// Entity is a catalog entity of any type. The columns every type shares are
// fields; provider fields are fields too because several types share them and
// filters use them; the rest of a type's fields live in Attrs, keyed by their
// JSON names (see TypeFields).
type Entity struct {
	ID            string
	OrgID         string
	Type          EntityType
	Name          string
	Description   string
	Tags          []string
	MetaTags      []MetaTag
	Links         []Link
	Permissions   json.RawMessage // a JSON object, stored as given
	GeneralAccess []string
	Origin        Origin
	CreatedBy     string
	LastChangedBy string
	CreatedAt     time.Time
	UpdatedAt     time.Time

	Provider             string
	ProviderType         string
	ProviderResourceKey  string
	ProviderResourceType string
	ProviderAccountID    string
	Location             string

	// Attrs holds the remaining type-specific fields as JSON, by JSON name.
	Attrs map[string]json.RawMessage
}

// MetaTag is a typed key/value annotation. Value is any JSON value and comes
// back exactly as it was sent.
type MetaTag struct {
	Name      string          `json:"name"`
	Value     json.RawMessage `json:"value"`
	Type      string          `json:"type"`
	CreatedBy string          `json:"createdBy,omitempty"`
}

// Link is a titled URL shown with an entity.
type Link struct {
	URL   string `json:"url"`
	Title string `json:"title"`
	Icon  string `json:"icon"`
}

// Parent asks, on create or update, for a relation to another entity
// (CONTRACT.md §4: child_of points from the entity to the parent, every other
// label from the parent to the entity).
type Parent struct {
	ID          string `json:"id"`
	Label       string `json:"label,omitempty"`
	SecondaryID string `json:"secondaryId,omitempty"`
	Field       string `json:"field,omitempty"`
}

// MetaTagTypes are the allowed meta tag types.
var MetaTagTypes = []string{"JSON", "Code", "Link", "Text", "AutoMap", "Nickname"}

// Attr returns the type-specific field name decoded into T, and whether it
// was set.
func Attr[T any](e *Entity, name string) (T, bool) {
	var v T
	raw, ok := e.Attrs[name]
	if !ok || json.Unmarshal(raw, &v) != nil {
		return v, false
	}
	return v, true
}

// EntityInput is a create or update request for an entity of Type, as raw
// JSON fields by name: REST bodies and GraphQL inputs both arrive this way, so
// one validator (Validate) serves both.
type EntityInput struct {
	Type   EntityType
	Fields map[string]json.RawMessage
	// Origin is DISCOVERY for entities written by the batch endpoints.
	Origin Origin
}

// Has reports whether the input sets field.
func (in *EntityInput) Has(field string) bool {
	_, ok := in.Fields[field]
	return ok
}

// jsonString decodes raw into *s when raw is a JSON string.
func jsonString(raw json.RawMessage, s *string) bool {
	return json.Unmarshal(raw, s) == nil
}
