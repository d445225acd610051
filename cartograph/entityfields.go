package cartograph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"
)

// FieldKind is the JSON shape a type-specific field takes.
type FieldKind int

// The shapes of type-specific fields.
const (
	KindString  FieldKind = iota
	KindStrings           // array of strings
	KindBool
	KindNumber
	KindObject  // any JSON object
	KindObjects // array of JSON objects
	KindEnum    // a string from Enum
	KindEmail
	KindUUID  // an entity id
	KindUUIDs // entity ids
)

// Presence says whether a field is required, allowed or refused in a request.
type Presence int

// Presences of a field in create and update requests.
const (
	Absent Presence = iota
	Optional
	Required
)

// FieldSpec describes a type-specific field, from the OpenAPI DTOs.
type FieldSpec struct {
	Name   string // JSON name
	Kind   FieldKind
	Enum   []string
	Create Presence
	Update Presence
	// Column names the entities column that stores it, or that a derived
	// output field is read from ("" means Attrs).
	Column string
	// Output is true when responses carry the field.
	Output bool
}

// Provider and package enums of the OpenAPI document.
var (
	RepoProviders   = []string{"GitHub", "Bitbucket", "GitLab", "Azure DevOps"}
	PackageManagers = []string{"ACTIONS", "NPM", "PIP", "MAVEN", "GRADLE", "GO"}
)

func f(name string, kind FieldKind, create, update Presence, column string, output bool, enum ...string) FieldSpec {
	return FieldSpec{Name: name, Kind: kind, Create: create, Update: update, Column: column, Output: output, Enum: enum}
}

// TypeFields lists the type-specific fields of each entity type, from the
// Create*, Update* and Catalog*Dto schemas. Derived output fields (such as a
// library's packageName) are Absent in requests.
var TypeFields = map[EntityType][]FieldSpec{
	Service: {
		f("repositoryId", KindUUID, Optional, Absent, "", false),
		f("repositoryPath", KindString, Optional, Optional, "", true),
		f("languages", KindStrings, Optional, Optional, "", true),
		f("lifecycle", KindString, Optional, Optional, "", true),
		f("applications", KindUUIDs, Optional, Absent, "", false),
		f("templateId", KindString, Optional, Optional, "", false),
	},
	Resource: {
		f("provider", KindString, Required, Absent, "provider", true),
		f("providerType", KindString, Absent, Absent, "provider_type", true),
		f("providerResourceKey", KindString, Required, Optional, "provider_resource_key", true),
		f("providerResourceType", KindString, Required, Absent, "provider_resource_type", true),
		f("providerAccountId", KindString, Optional, Optional, "provider_account_id", true),
		f("location", KindString, Optional, Optional, "location", true),
		f("details", KindObject, Optional, Optional, "", true),
		f("deepLinkUrl", KindString, Optional, Optional, "", true),
	},
	Library: {
		f("requirements", KindString, Optional, Optional, "", true),
		f("provider", KindString, Required, Optional, "provider", true),
		f("providerType", KindString, Absent, Absent, "provider_type", true),
		f("providerResourceKey", KindString, Optional, Optional, "provider_resource_key", true),
		f("providerResourceType", KindString, Absent, Absent, "provider_resource_type", true),
		f("packageName", KindString, Absent, Absent, "name", true), // the library's name
		f("packageManager", KindEnum, Required, Required, "", true, PackageManagers...),
		f("packageLabel", KindString, Optional, Optional, "", true),
	},
	Repository: {
		f("url", KindString, Required, Optional, "", true),
		f("contributors", KindObjects, Optional, Optional, "", true),
		f("languages", KindObjects, Optional, Optional, "", true),
		f("release", KindObject, Optional, Optional, "", true),
		f("provider", KindEnum, Required, Required, "provider", true, RepoProviders...),
		f("providerType", KindString, Absent, Absent, "provider_type", true),
		f("providerResourceKey", KindString, Required, Optional, "provider_resource_key", true),
		f("providerResourceType", KindString, Absent, Absent, "provider_resource_type", true),
		f("providerAccountId", KindString, Required, Optional, "provider_account_id", true),
		f("location", KindString, Required, Optional, "location", true),
		f("details", KindObject, Optional, Optional, "", true),
	},
	Manifest: {
		f("repoPath", KindString, Required, Optional, "", true),
		f("totalDependencies", KindNumber, Optional, Optional, "", true),
		f("provider", KindEnum, Required, Optional, "provider", true, RepoProviders...),
		f("providerType", KindString, Absent, Absent, "provider_type", true),
		f("providerResourceKey", KindString, Required, Optional, "provider_resource_key", true),
		f("providerResourceType", KindString, Absent, Absent, "provider_resource_type", true),
		f("providerAccountId", KindString, Required, Optional, "provider_account_id", true),
	},
	Person: {
		f("email", KindEmail, Required, Absent, "", true),
		f("isActive", KindBool, Absent, Absent, "", true),
		f("userId", KindString, Optional, Absent, "", true),
		f("externalId", KindString, Optional, Absent, "", true),
		f("familyName", KindString, Optional, Optional, "", true),
		f("givenName", KindString, Optional, Optional, "", true),
		f("photoUrl", KindString, Optional, Optional, "", true),
		f("provisioned", KindBool, Absent, Absent, "", true),
	},
	Base: {
		f("providerResourceType", KindString, Required, Absent, "provider_resource_type", true),
		f("details", KindObject, Optional, Optional, "", true),
	},
}

// HasParents reports whether create and update requests of t take parents[].
func HasParents(t EntityType) bool { return t == Resource || t == Base }

// FieldOf returns t's type-specific field name.
func FieldOf(t EntityType, name string) (FieldSpec, bool) {
	for _, fd := range TypeFields[t] {
		if fd.Name == name {
			return fd, true
		}
	}
	return FieldSpec{}, false
}

// EntityChange is a validated create or update: nil pointers and absent map
// keys leave a field as it is.
type EntityChange struct {
	Type          EntityType
	Name          *string
	Description   *string
	Tags          *[]string
	MetaTags      *[]MetaTag
	Links         *[]Link
	Permissions   json.RawMessage
	GeneralAccess *[]string
	Columns       map[string]string          // provider columns, by column name
	Attrs         map[string]json.RawMessage // other type fields, by JSON name
	Parents       *[]Parent
	Origin        Origin
}

// OnlyTagsAndMetaTags reports whether the change touches nothing but tags and
// meta tags: all a DISCOVERY entity accepts.
func (c *EntityChange) OnlyTagsAndMetaTags() bool {
	return c.Name == nil && c.Description == nil && c.Links == nil && c.Permissions == nil &&
		c.GeneralAccess == nil && len(c.Columns) == 0 && len(c.Attrs) == 0 && c.Parents == nil
}

// Limits on strings, in characters.
const (
	MaxNameLen        = 255
	MaxDescriptionLen = 10000
	MaxTagLen         = 255
	MaxTags           = 100
	MaxMetaTags       = 200
)

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// IsUUID reports whether s is a UUID in its usual text form.
func IsUUID(s string) bool { return uuidPattern.MatchString(s) }

// Validate checks a create (create=true) or update request field by field and
// returns the change, or Invalid listing every problem in Configure8's words
// ("name should not be empty"), or Unprocessable for a Nickname meta tag given
// twice. Unknown fields are ignored, as the upstream API does.
func (in *EntityInput) Validate(create bool) (*EntityChange, error) {
	v := validator{in: in, ch: &EntityChange{Type: in.Type, Origin: in.Origin,
		Columns: map[string]string{}, Attrs: map[string]json.RawMessage{}}}
	if !in.Type.Valid() {
		v.p.Add("type", "type must be one of the following values: %s", joinTypes())
		return nil, v.p.Err()
	}
	for name, raw := range in.Fields {
		if ContainsNUL(raw) {
			v.p.Add(name, "%s must not contain NUL characters", name)
			return nil, v.p.Err()
		}
	}
	v.ch.Name = v.str("name", create, MaxNameLen)
	v.ch.Description = v.str("description", false, MaxDescriptionLen)
	v.ch.Tags = v.strings("tags", MaxTags)
	v.ch.MetaTags = v.metaTags()
	v.ch.Links = v.links()
	if raw, ok := v.get("permissions"); ok {
		if raw[0] != '{' {
			v.p.Add("permissions", "permissions must be an object")
		}
		v.ch.Permissions = raw
	}
	if ga := v.strings("generalAccess", 2); ga != nil {
		for _, s := range *ga {
			if s != "read" && s != "inherit" {
				v.p.Add("generalAccess", "each value in generalAccess must be one of the following values: read, inherit")
				break
			}
		}
		v.ch.GeneralAccess = ga
	}
	if HasParents(in.Type) {
		v.ch.Parents = v.parents()
	}
	for _, fd := range TypeFields[in.Type] {
		v.field(fd, create)
	}
	if err := v.p.Err(); err != nil {
		return nil, err
	}
	if v.ch.MetaTags != nil {
		if err := checkNicknames(*v.ch.MetaTags); err != nil {
			return nil, err
		}
	}
	return v.ch, nil
}

func joinTypes() string {
	s := make([]string, len(EntityTypes))
	for i, t := range EntityTypes {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

// checkNicknames refuses a Nickname meta tag name given twice (422).
func checkNicknames(tags []MetaTag) error {
	seen := map[string]bool{}
	for _, t := range tags {
		if t.Type != "Nickname" {
			continue
		}
		if seen[t.Name] {
			return &Error{Code: Unprocessable, Field: "metaTags",
				Message: fmt.Sprintf("Nickname meta tag %q is given more than once", t.Name)}
		}
		seen[t.Name] = true
	}
	return nil
}

// ValidateMetaTags checks a whole replacement list of meta tags.
func ValidateMetaTags(raw json.RawMessage) ([]MetaTag, error) {
	in := EntityInput{Type: Base, Fields: map[string]json.RawMessage{"metaTags": raw}}
	v := validator{in: &in, ch: &EntityChange{}}
	tags := v.metaTags()
	if err := v.p.Err(); err != nil {
		return nil, err
	}
	if tags == nil {
		return []MetaTag{}, nil
	}
	return *tags, checkNicknames(*tags)
}

type validator struct {
	in *EntityInput
	ch *EntityChange
	p  Problems
}

// get returns a field's raw JSON; JSON null counts as absent.
func (v *validator) get(name string) (json.RawMessage, bool) {
	raw, ok := v.in.Fields[name]
	raw = bytes.TrimSpace(raw)
	if !ok || len(raw) == 0 || string(raw) == "null" {
		return nil, false
	}
	return raw, true
}

func (v *validator) str(name string, required bool, maxLen int) *string {
	raw, ok := v.get(name)
	if !ok {
		if required {
			v.p.Add(name, "%s should not be empty", name)
		}
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		v.p.Add(name, "%s must be a string", name)
		return nil
	}
	if required && strings.TrimSpace(s) == "" {
		v.p.Add(name, "%s should not be empty", name)
	}
	if maxLen > 0 && len([]rune(s)) > maxLen {
		v.p.Add(name, "%s must be shorter than or equal to %d characters", name, maxLen)
	}
	return &s
}

func (v *validator) strings(name string, maxItems int) *[]string {
	raw, ok := v.get(name)
	if !ok {
		return nil
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		v.p.Add(name, "%s must be an array", name)
		return nil
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		var s string
		if json.Unmarshal(it, &s) != nil {
			v.p.Add(name, "each value in %s must be a string", name)
			return nil
		}
		if len([]rune(s)) > MaxTagLen {
			v.p.Add(name, "each value in %s must be shorter than or equal to %d characters", name, MaxTagLen)
			return nil
		}
		out = append(out, s)
	}
	if maxItems > 0 && len(out) > maxItems {
		v.p.Add(name, "%s must contain no more than %d elements", name, maxItems)
	}
	return &out
}

// objects decodes an array of JSON objects, reporting a problem otherwise.
func (v *validator) objects(name string) ([]map[string]json.RawMessage, bool) {
	raw, ok := v.get(name)
	if !ok {
		return nil, false
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		v.p.Add(name, "%s must be an array", name)
		return nil, false
	}
	out := make([]map[string]json.RawMessage, len(items))
	for i, it := range items {
		if json.Unmarshal(it, &out[i]) != nil || out[i] == nil {
			v.p.Add(name, "nested property %s must be either object or array", name)
			return nil, false
		}
	}
	return out, true
}

// member reads a string member of a nested object; path names it in messages.
func (v *validator) member(obj map[string]json.RawMessage, key, path string, required bool) string {
	raw, ok := obj[key]
	if !ok || string(bytes.TrimSpace(raw)) == "null" {
		if required {
			v.p.Add(path, "%s should not be empty", path)
		}
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		v.p.Add(path, "%s must be a string", path)
	}
	return s
}

func (v *validator) metaTags() *[]MetaTag {
	objs, ok := v.objects("metaTags")
	if !ok {
		return nil
	}
	if len(objs) > MaxMetaTags {
		v.p.Add("metaTags", "metaTags must contain no more than %d elements", MaxMetaTags)
	}
	out := make([]MetaTag, len(objs))
	for i, o := range objs {
		at := fmt.Sprintf("metaTags.%d.", i)
		out[i].Name = v.member(o, "name", at+"name", true)
		out[i].Type = v.member(o, "type", at+"type", true)
		if out[i].Type != "" && !slices.Contains(MetaTagTypes, out[i].Type) {
			v.p.Add(at+"type", "%stype must be one of the following values: %s", at, strings.Join(MetaTagTypes, ", "))
		}
		out[i].CreatedBy = v.member(o, "createdBy", at+"createdBy", false)
		if out[i].CreatedBy != "" && out[i].CreatedBy != "MANUAL" && out[i].CreatedBy != "SYSTEM" {
			v.p.Add(at+"createdBy", "%screatedBy must be one of the following values: MANUAL, SYSTEM", at)
		}
		raw, ok := o["value"]
		if !ok {
			v.p.Add(at+"value", "%svalue should not be empty", at)
			continue
		}
		out[i].Value = append(json.RawMessage(nil), bytes.TrimSpace(raw)...)
	}
	return &out
}

func (v *validator) links() *[]Link {
	objs, ok := v.objects("links")
	if !ok {
		return nil
	}
	out := make([]Link, len(objs))
	for i, o := range objs {
		at := fmt.Sprintf("links.%d.", i)
		out[i] = Link{URL: v.member(o, "url", at+"url", true), Title: v.member(o, "title", at+"title", false),
			Icon: v.member(o, "icon", at+"icon", false)}
	}
	return &out
}

// parents reads parents[]: only id is required (CONTRACT.md §4).
func (v *validator) parents() *[]Parent {
	objs, ok := v.objects("parents")
	if !ok {
		return nil
	}
	out := make([]Parent, len(objs))
	for i, o := range objs {
		at := fmt.Sprintf("parents.%d.", i)
		out[i] = Parent{
			ID:          v.member(o, "id", at+"id", true),
			Label:       v.member(o, "label", at+"label", false),
			SecondaryID: v.member(o, "secondaryId", at+"secondaryId", false),
			Field:       v.member(o, "field", at+"field", false),
		}
	}
	return &out
}

func (v *validator) field(fd FieldSpec, create bool) {
	presence := fd.Update
	if create {
		presence = fd.Create
	}
	raw, ok := v.get(fd.Name)
	if presence == Absent {
		return // derived or not accepted here: ignored, like any unknown field
	}
	if !ok {
		if presence == Required {
			v.p.Add(fd.Name, "%s should not be empty", fd.Name)
		}
		return
	}
	name := fd.Name
	var s string
	isString := json.Unmarshal(raw, &s) == nil
	switch fd.Kind {
	case KindString, KindEnum, KindEmail, KindUUID:
		switch {
		case !isString:
			v.p.Add(name, "%s must be a string", name)
		case presence == Required && strings.TrimSpace(s) == "":
			v.p.Add(name, "%s should not be empty", name)
		case fd.Kind == KindEnum && !slices.Contains(fd.Enum, s):
			v.p.Add(name, "%s must be one of the following values: %s", name, strings.Join(fd.Enum, ", "))
		case fd.Kind == KindEmail && !isEmail(s):
			v.p.Add(name, "%s must be an email", name)
		case fd.Kind == KindUUID && !IsUUID(s):
			v.p.Add(name, "%s must be a UUID", name)
		}
	case KindStrings, KindUUIDs:
		list := v.strings(name, 0)
		if list != nil && fd.Kind == KindUUIDs {
			for _, id := range *list {
				if !IsUUID(id) {
					v.p.Add(name, "each value in %s must be a UUID", name)
					break
				}
			}
		}
	case KindBool:
		if string(raw) != "true" && string(raw) != "false" {
			v.p.Add(name, "%s must be a boolean value", name)
		}
	case KindNumber:
		var n float64
		if json.Unmarshal(raw, &n) != nil {
			v.p.Add(name, "%s must be a number conforming to the specified constraints", name)
		}
	case KindObject:
		if raw[0] != '{' {
			v.p.Add(name, "%s must be an object", name)
		}
	case KindObjects:
		v.objects(name)
	}
	if fd.Column != "" {
		v.ch.Columns[fd.Column] = s
	} else {
		v.ch.Attrs[fd.Name] = raw
	}
}

func isEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && strings.Contains(s[strings.LastIndex(s, "@"):], ".")
}

// ContainsNUL reports whether a JSON value holds a string with a NUL
// character, which PostgreSQL text and jsonb cannot store.
func ContainsNUL(raw json.RawMessage) bool {
	if !bytes.Contains(bytes.ToLower(raw), []byte(`\u0000`)) {
		return false
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return false
	}
	return nulIn(v)
}

func nulIn(v any) bool {
	switch x := v.(type) {
	case string:
		return strings.ContainsRune(x, 0)
	case []any:
		for _, e := range x {
			if nulIn(e) {
				return true
			}
		}
	case map[string]any:
		for k, e := range x {
			if strings.ContainsRune(k, 0) || nulIn(e) {
				return true
			}
		}
	}
	return false
}
