package cartograph

import (
	"slices"
	"time"
)

// Relation is a directed, labelled edge between two entities of one org.
// A custom relation has label "" and names itself in Field.
type Relation struct {
	ID        string
	SourceID  string
	TargetID  string
	Label     string
	Field     string
	ServiceID string // for environment -contains-> resource: the service it serves
	CreatedAt time.Time
}

// RelationLabels are the labels the Configure8 API documents.
var RelationLabels = []string{"belongs_to", "depends_on", "provides", "has_environment", "part_of", "owned_by",
	"consumes", "uses", "contains", "has_repository", "has_library", "has_manifest", "has_dependency",
	"child_of", "relative_to"}

// KnownLabel reports whether label is documented (or "", a custom relation).
func KnownLabel(label string) bool { return label == "" || slices.Contains(RelationLabels, label) }

type relationPair struct {
	source EntityType
	label  string
	target EntityType
}

// allowedPairs are the relations the Configure8 overview allows.
var allowedPairs = map[relationPair]bool{
	{Service, "has_environment", Environment}: true,
	{Service, "part_of", System}:              true,
	{Service, "belongs_to", Application}:      true,
	{Team, "belongs_to", Person}:              true,
	{Service, "depends_on", Service}:          true,
	{Environment, "contains", Resource}:       true,
	{Resource, "uses", Resource}:              true,
	{Resource, "child_of", Resource}:          true,
	{System, "depends_on", System}:            true,
	{Application, "depends_on", Application}:  true,
	{Service, "has_repository", Repository}:   true,
	{Repository, "has_library", Library}:      true,
	{Repository, "has_manifest", Manifest}:    true,
	{Manifest, "has_dependency", Library}:     true,
}

// CheckRelation returns nil when source -label-> target may exist: Invalid
// for an undocumented label, Unprocessable for a documented label on a pair
// the overview does not allow. A custom relation (label "" with a field)
// joins any two types.
func CheckRelation(source EntityType, label, field string, target EntityType) error {
	if !KnownLabel(label) {
		return &Error{Code: Invalid, Field: "label",
			Message: "label must be one of the following values: " + joinStrings(RelationLabels)}
	}
	if label == "" {
		if field == "" {
			return &Error{Code: Invalid, Field: "field", Message: "field should not be empty when label is omitted"}
		}
		return nil
	}
	if !allowedPairs[relationPair{source, label, target}] {
		return Errorf(Unprocessable, "A %s cannot %s a %s", source, label, target)
	}
	return nil
}

func joinStrings(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}

// ParentRelation turns a parents[] item of entity (of type typ) into the
// relation it asks for: child_of (the default) runs from the entity to the
// parent, every other label from the parent to the entity, with secondaryId
// as the relation's service id.
func ParentRelation(entityID string, p Parent) Relation {
	label := p.Label
	if label == "" && p.Field == "" {
		label = "child_of"
	}
	if label == "child_of" {
		return Relation{SourceID: entityID, TargetID: p.ID, Label: label, Field: p.Field}
	}
	return Relation{SourceID: p.ID, TargetID: entityID, Label: label, Field: p.Field, ServiceID: p.SecondaryID}
}

// Direction says which way a relation is followed from an entity: Out from
// source to target, In from target to source.
type Direction string

// The directions of a hop.
const (
	Out  Direction = "out"
	In   Direction = "in"
	Both Direction = "both" // walks only
)

// Hop is one step through relations: a label, a direction, and optionally
// the type the entities reached must have.
type Hop struct {
	Label string
	Dir   Direction
	Type  EntityType // "" for any type
}
