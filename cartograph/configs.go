package cartograph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"time"
)

// Domain groups related configs: an app, an environment, a config file.
type Domain struct {
	ID        string
	Slug      string
	CreatedAt time.Time
}

// Config is one key of a domain; its values are its versions.
type Config struct {
	ID        string
	DomainID  string
	Key       string
	CreatedAt time.Time
	// LastVersion is the number of the newest version, 0 when there is none.
	LastVersion int
}

// Version is one value of a config. Numbers run from 1 per config, without
// gaps; the highest is the config's current value.
type Version struct {
	ConfigID  string
	Number    int
	CreatedAt time.Time
	Value     ConfigValue
}

// ConfigValue is a config value as JSON text: a number, a string or a
// boolean, kept exactly as sent (1.0 stays 1.0).
type ConfigValue json.RawMessage

// MarshalJSON writes the value as stored.
func (v ConfigValue) MarshalJSON() ([]byte, error) {
	if len(v) == 0 {
		return []byte("null"), nil
	}
	return v, nil
}

// MarshalGQL writes the value as stored (gqlgen scalar).
func (v ConfigValue) MarshalGQL(w io.Writer) {
	b, _ := v.MarshalJSON()
	_, _ = w.Write(b)
}

// UnmarshalGQL accepts a GraphQL string, number or boolean.
func (v *ConfigValue) UnmarshalGQL(in any) error {
	var b []byte
	switch x := in.(type) {
	case string:
		b, _ = json.Marshal(x)
	case bool:
		b = strconv.AppendBool(nil, x)
	case json.Number:
		b = []byte(x.String())
	case int:
		b = strconv.AppendInt(nil, int64(x), 10)
	case int64:
		b = strconv.AppendInt(nil, x, 10)
	case float64:
		b = strconv.AppendFloat(nil, x, 'g', -1, 64)
	default:
		return invalidValue()
	}
	*v = b
	return nil
}

func invalidValue() error {
	return &Error{Code: Invalid, Reason: "invalid_value", Field: "value",
		Message: "The value must be a number, a string or a boolean"}
}

// ParseConfigValue checks raw JSON: a number, string or boolean passes as is;
// null, an array or an object is Invalid (invalid_value).
func ParseConfigValue(raw json.RawMessage) (ConfigValue, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || !json.Valid(raw) {
		return nil, invalidValue()
	}
	switch raw[0] {
	case '"', 't', 'f', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return ConfigValue(raw), nil
	}
	return nil, invalidValue()
}

// Kind returns "string", "number" or "boolean".
func (v ConfigValue) Kind() string {
	switch {
	case len(v) == 0:
		return "null"
	case v[0] == '"':
		return "string"
	case v[0] == 't' || v[0] == 'f':
		return "boolean"
	}
	return "number"
}

// Page is a limit/offset window of a list.
type Page struct {
	Limit  int
	Offset int
}

// MaxPageSize caps every list page.
const MaxPageSize = 1000

// Validate caps Limit at MaxPageSize and rejects negative values.
func (p *Page) Validate() error {
	var probs Problems
	if p.Limit < 0 {
		probs.Add("limit", "limit must not be negative")
	}
	if p.Offset < 0 {
		probs.Add("offset", "offset must not be negative")
	}
	p.Limit = min(p.Limit, MaxPageSize)
	return probs.Err()
}

var slugPattern = regexp.MustCompile(`^[a-zA-Z0-9\-_]+$`)

// MaxConfigKeyLen is the longest config key.
const MaxConfigKeyLen = 512

const invalidSlugMessage = "The slug contains invalid characters. Only letters, numbers, dash (-) and underscore (_) are allowed"

// ValidateSlug checks a domain slug or config key (field names which).
func ValidateSlug(field, s string) error {
	if !slugPattern.MatchString(s) {
		return &Error{Code: Invalid, Reason: "invalid_slug", Field: field, Message: invalidSlugMessage}
	}
	if field == "key" && len(s) > MaxConfigKeyLen {
		return &Error{Code: Invalid, Reason: "invalid_slug", Field: field,
			Message: fmt.Sprintf("The key is longer than %d characters", MaxConfigKeyLen)}
	}
	return nil
}

// The config store's not-found errors, with Configmonkey's codes.
var (
	ErrDomainNotFound  = &Error{Code: NotFound, Reason: "domain_not_found", Message: "Domain not found"}
	ErrConfigNotFound  = &Error{Code: NotFound, Reason: "config_not_found", Message: "Config not found"}
	ErrVersionNotFound = &Error{Code: NotFound, Reason: "version_not_found", Message: "Version not found"}
)

// ConfigDiff compares two versions of a config.
type ConfigDiff struct {
	From, To *Version
	// Changed is false when both versions hold the same JSON text.
	Changed bool
	// KindChanged is true when the value changed type (number to string...).
	KindChanged bool
	// Delta is To - From when both are numbers.
	Delta *float64
}

// DiffVersions compares from and to.
func DiffVersions(from, to *Version) *ConfigDiff {
	d := &ConfigDiff{
		From:        from,
		To:          to,
		Changed:     !bytes.Equal(from.Value, to.Value),
		KindChanged: from.Value.Kind() != to.Value.Kind(),
	}
	if from.Value.Kind() == "number" && to.Value.Kind() == "number" {
		a, errA := strconv.ParseFloat(string(from.Value), 64)
		b, errB := strconv.ParseFloat(string(to.Value), 64)
		if errA == nil && errB == nil {
			delta := b - a
			d.Delta = &delta
		}
	}
	return d
}

// SnapshotEntry is one key of a domain at a moment: its version then, or nil
// if it had no value yet.
type SnapshotEntry struct {
	Key     string
	Version *Version
}
