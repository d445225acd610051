package cartograph

import (
	_ "embed"
	"encoding/json"
	"strings"
	"time"
)

// Template is a form definition that portals use to create or display
// entities. Core templates ship with the server (templates/core.json); they
// belong to every org.
type Template struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Type        string          `json:"type"`     // core | user
	Category    string          `json:"category"` // create | display
	Icon        string          `json:"icon,omitempty"`
	EntityType  EntityType      `json:"-"`
	Definition  json.RawMessage `json:"definition"`
	CreatedAt   time.Time       `json:"createdAt"`
}

//go:embed templates/core.json
var coreTemplatesJSON []byte

// CoreTemplates are the templates every org has.
var CoreTemplates = mustTemplates(coreTemplatesJSON)

func mustTemplates(b []byte) []*Template {
	var ts []*Template
	if err := json.Unmarshal(b, &ts); err != nil {
		panic("cartograph: templates/core.json: " + err.Error())
	}
	for _, t := range ts {
		var def struct {
			EntityType EntityType `json:"entityType"`
		}
		if err := json.Unmarshal(t.Definition, &def); err != nil || !def.EntityType.Valid() {
			panic("cartograph: templates/core.json: bad entityType in " + t.ID)
		}
		t.EntityType = def.EntityType
	}
	return ts
}

// TemplateByID returns the template with that id, or nil.
func TemplateByID(id string) *Template {
	for _, t := range CoreTemplates {
		if t.ID == id {
			return t
		}
	}
	return nil
}

// TemplateFilter selects templates; empty fields match everything.
type TemplateFilter struct {
	Name       string // case-insensitive substring
	Type       string
	Category   string
	EntityType string
}

// Templates returns the templates matching f, by name.
func Templates(f TemplateFilter) []*Template {
	var out []*Template
	for _, t := range CoreTemplates {
		if f.Name != "" && !strings.Contains(strings.ToLower(t.Name), strings.ToLower(f.Name)) ||
			f.Type != "" && t.Type != f.Type ||
			f.Category != "" && t.Category != f.Category ||
			f.EntityType != "" && string(t.EntityType) != f.EntityType {
			continue
		}
		out = append(out, t)
	}
	return out
}
