package db

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	gojson "github.com/goccy/go-json"

	"cartograph/cartograph"
)

// scanEntities reads entity rows (columns as entityColumns selects them,
// after any lead columns the caller scans itself) into entities. It is the
// hot path of every page and relation field, so it does what bun's
// reflection did, column by known column: strings and times go straight
// into the row, arrays and JSON are decoded once. each receives the lead
// values and the entity of every row; rows is closed.
func scanEntities(rows *sql.Rows, lead []any, each func(*cartograph.Entity)) (err error) {
	defer func() {
		if cerr := rows.Close(); err == nil {
			err = cerr
		}
	}()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	var s entityScan
	dest := append(make([]any, 0, len(cols)), lead...)
	for _, c := range cols[len(lead):] {
		dest = append(dest, s.dest(c))
	}
	for rows.Next() {
		s = entityScan{} // the addresses in dest stay valid
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		e, err := s.entity()
		if err != nil {
			return err
		}
		each(e)
	}
	return rows.Err()
}

// entityScan is where one row's columns land: plain columns in the row,
// arrays and JSON as raw text until entity decodes them.
type entityScan struct {
	row                                            entityRow
	tags, access, meta, links, perm, attr, ignored sql.RawBytes
}

// dest returns where column c is scanned to.
func (s *entityScan) dest(c string) any {
	r := &s.row
	switch c {
	case "org_id":
		return &r.OrgID
	case "id":
		return &r.ID
	case "type":
		return &r.Type
	case "name":
		return &r.Name
	case "description":
		return &r.Description
	case "tags":
		return &s.tags
	case "meta_tags":
		return &s.meta
	case "links":
		return &s.links
	case "permissions":
		return &s.perm
	case "general_access":
		return &s.access
	case "origin":
		return &r.Origin
	case "created_by":
		return &r.CreatedBy
	case "last_changed_by":
		return &r.LastChangedBy
	case "created_at":
		return &r.CreatedAt
	case "updated_at":
		return &r.UpdatedAt
	case "provider":
		return &r.Provider
	case "provider_type":
		return &r.ProviderType
	case "provider_resource_key":
		return &r.ProviderResourceKey
	case "provider_resource_type":
		return &r.ProviderResourceType
	case "provider_account_id":
		return &r.ProviderAccountID
	case "location":
		return &r.Location
	case "attrs":
		return &s.attr
	}
	return &s.ignored // search_text, and whatever a later migration adds
}

// entity decodes the raw columns and builds the scanned row's entity.
// Columns not read stay nil and leave their fields at entity()'s defaults.
func (s *entityScan) entity() (*cartograph.Entity, error) {
	var tagsErr, accessErr error
	s.row.Tags, tagsErr = parseTextArray(s.tags)
	s.row.GeneralAccess, accessErr = parseTextArray(s.access)
	if err := errors.Join(tagsErr, accessErr, decodeJSON(s.meta, &s.row.MetaTags),
		decodeJSON(s.links, &s.row.Links), decodeJSON(s.attr, &s.row.Attrs)); err != nil {
		return nil, err
	}
	if s.perm != nil {
		s.row.Permissions = json.RawMessage(append([]byte(nil), s.perm...))
	}
	return s.row.entity(), nil
}

// decodeJSON decodes a jsonb column, if it was read, into v.
func decodeJSON(b []byte, v any) error {
	if b == nil {
		return nil
	}
	return gojson.Unmarshal(b, v)
}

// parseTextArray parses PostgreSQL's text form of a one-dimensional text[]
// ({a,"b c","d\"e"}); nil (a column not read) gives nil. Entity arrays hold
// no NULLs; an unquoted NULL would read as "".
func parseTextArray(b []byte) ([]string, error) {
	if b == nil {
		return nil, nil
	}
	s := string(b)
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, fmt.Errorf("not a text array: %q", s)
	}
	s = s[1 : len(s)-1]
	if s == "" {
		return []string{}, nil
	}
	out := make([]string, 0, strings.Count(s, ",")+1)
	for i := 0; i <= len(s); {
		if i < len(s) && s[i] == '"' {
			var el strings.Builder
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				el.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated element in text array %q", b)
			}
			out = append(out, el.String())
			i = j + 2 // past the closing quote and the comma
			continue
		}
		end := strings.IndexByte(s[i:], ',')
		if end < 0 {
			end = len(s) - i
		}
		if el := s[i : i+end]; el != "NULL" {
			out = append(out, el)
		} else {
			out = append(out, "")
		}
		i += end + 1
	}
	return out, nil
}
