package cartograph

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ChangeOp is what a change did to its object.
type ChangeOp string

// Change operations.
const (
	OpCreate ChangeOp = "create"
	OpUpdate ChangeOp = "update"
	OpDelete ChangeOp = "delete"
)

// ObjectType is the kind of object a change is about.
type ObjectType string

// Logged object types. Costs and imports are summarised: one event per batch
// or import, not one per row.
const (
	ObjectEntity         ObjectType = "entity"
	ObjectRelation       ObjectType = "relation"
	ObjectDomain         ObjectType = "domain"
	ObjectConfig         ObjectType = "config"
	ObjectConfigVersion  ObjectType = "config_version"
	ObjectKey            ObjectType = "key"
	ObjectModuleSettings ObjectType = "module_settings"
	ObjectCosts          ObjectType = "costs"
	ObjectImport         ObjectType = "import"
)

// Change is one event of the change log. Seq orders the log by commit and
// is gap-free. For an update, Before and After hold the changed fields only
// (old and new values); a create's After and a delete's Before hold every
// field. Refs name what the event is also about: a relation's source and
// target, a config's domain and key, a settings document's service.
type Change struct {
	Seq        int64
	At         time.Time
	OrgID      string
	KeyName    string
	Operation  ChangeOp
	ObjectType ObjectType
	ObjectID   string
	EntityType string // an entity's type, a relation's label
	Refs       []string
	Before     json.RawMessage
	After      json.RawMessage
}

// Concerns reports whether the change is about id: its object or one of
// its refs (a relation touching an entity, say).
func (c *Change) Concerns(id string) bool { return c.ObjectID == id || slices.Contains(c.Refs, id) }

// ChangeQuery selects a page of the change log of the caller's org.
type ChangeQuery struct {
	ObjectTypes []ObjectType
	Operations  []ChangeOp
	KeyName     string
	About       string    // an object id: its own events and those that ref it
	Since       time.Time // inclusive; zero means the beginning
	Until       time.Time // exclusive; zero means now
	After       int64     // cursor: only events past this seq (before it, newest first)
	NewestFirst bool
	Limit       int // 1..MaxChangePage
}

// MaxChangePage is the largest page of the change log.
const MaxChangePage = 1000

// Validate checks the query's page size (ParseCursor checks After).
func (q *ChangeQuery) Validate() error {
	if q.Limit < 0 || q.Limit > MaxChangePage {
		return &Error{Code: Invalid, Field: "first", Message: "first must be between 0 and " + strconv.Itoa(MaxChangePage)}
	}
	return nil
}

// ParseCursor reads a page cursor (a change's seq); "" is the start.
func ParseCursor(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, &Error{Code: Invalid, Field: "after", Message: "after must be a cursor from a previous page"}
	}
	return n, nil
}

// PresentFields rewrites a change's stored field map (column names) into the
// API's field names: snake_case becomes camelCase, and an entity's
// type-specific attributes (the attrs column) appear as fields of their own,
// only those that changed in an update.
func PresentFields(c *Change) (before, after json.RawMessage) {
	b, a := decodeFields(c.Before), decodeFields(c.After)
	if c.ObjectType == ObjectEntity {
		ba, aa := decodeFields(b["attrs"]), decodeFields(a["attrs"])
		delete(b, "attrs")
		delete(a, "attrs")
		for k, v := range aa {
			if c.Operation != OpUpdate || string(ba[k]) != string(v) {
				a[k] = v
				if w, ok := ba[k]; ok {
					b[k] = w
				} else if c.Operation == OpUpdate {
					b[k] = json.RawMessage("null")
				}
			}
		}
		for k, v := range ba {
			if _, ok := aa[k]; !ok {
				b[k] = v
				if c.Operation == OpUpdate {
					a[k] = json.RawMessage("null")
				}
			}
		}
	}
	return encodeFields(b, c.Before == nil), encodeFields(a, c.After == nil)
}

func decodeFields(raw json.RawMessage) map[string]json.RawMessage {
	m := map[string]json.RawMessage{}
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &m) // written by PostgreSQL's to_jsonb: always an object or null
	}
	return m
}

func encodeFields(m map[string]json.RawMessage, null bool) json.RawMessage {
	if null && len(m) == 0 {
		return nil
	}
	out := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		out[camel(k)] = v
	}
	b, _ := json.Marshal(out)
	return b
}

// camel turns a column name into its API field name: provider_account_id →
// providerAccountId.
func camel(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}
