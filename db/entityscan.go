package db

import (
	"database/sql"
	"encoding/json"
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
	var (
		row                                   entityRow
		tags, access, meta, links, perm, attr sql.RawBytes
		ignored                               sql.RawBytes
	)
	dest := append(make([]any, 0, len(cols)), lead...)
	for _, c := range cols[len(lead):] {
		var d any
		switch c {
		case "org_id":
			d = &row.OrgID
		case "id":
			d = &row.ID
		case "type":
			d = &row.Type
		case "name":
			d = &row.Name
		case "description":
			d = &row.Description
		case "tags":
			d = &tags
		case "meta_tags":
			d = &meta
		case "links":
			d = &links
		case "permissions":
			d = &perm
		case "general_access":
			d = &access
		case "origin":
			d = &row.Origin
		case "created_by":
			d = &row.CreatedBy
		case "last_changed_by":
			d = &row.LastChangedBy
		case "created_at":
			d = &row.CreatedAt
		case "updated_at":
			d = &row.UpdatedAt
		case "provider":
			d = &row.Provider
		case "provider_type":
			d = &row.ProviderType
		case "provider_resource_key":
			d = &row.ProviderResourceKey
		case "provider_resource_type":
			d = &row.ProviderResourceType
		case "provider_account_id":
			d = &row.ProviderAccountID
		case "location":
			d = &row.Location
		case "attrs":
			d = &attr
		default: // search_text, and whatever a later migration adds
			d = &ignored
		}
		dest = append(dest, d)
	}
	for rows.Next() {
		row, tags, access, meta, links, perm, attr = entityRow{}, nil, nil, nil, nil, nil, nil
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		if row.Tags, err = parseTextArray(tags); err != nil {
			return err
		}
		if row.GeneralAccess, err = parseTextArray(access); err != nil {
			return err
		}
		if err := decodeJSON(meta, &row.MetaTags); err != nil {
			return err
		}
		if err := decodeJSON(links, &row.Links); err != nil {
			return err
		}
		if err := decodeJSON(attr, &row.Attrs); err != nil {
			return err
		}
		if perm != nil {
			row.Permissions = json.RawMessage(append([]byte(nil), perm...))
		}
		each(row.entity())
	}
	return rows.Err()
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
