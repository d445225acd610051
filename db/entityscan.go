package db

import (
	"encoding/json"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"cartograph/cartograph"
)

// scanEntities reads entity rows (columns as entityColumns selects them,
// after any lead columns the caller scans itself) into entities. It is the
// hot path of every page and relation field (see rowReader), so it does
// what bun's reflection did, column by known column: strings, times and
// arrays go straight into the row, JSON is decoded once. each receives the
// lead values and the entity of every row.
func scanEntities(rows pgx.Rows, lead []any, each func(*cartograph.Entity)) error {
	fields := rows.FieldDescriptions()
	var s entityScan
	dest := append(make([]any, 0, len(fields)), lead...)
	for _, f := range fields[len(lead):] {
		dest = append(dest, s.dest(f.Name))
	}
	// Entities are allocated a slab at a time: one allocation for many
	// small ones. A slab lives as long as any of its entities, which a
	// request holds together anyway.
	var slab []cartograph.Entity
	for rows.Next() {
		s = entityScan{} // the addresses in dest stay valid
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		if len(slab) == 0 {
			slab = make([]cartograph.Entity, entitySlab)
		}
		e := &slab[0]
		slab = slab[1:]
		if err := s.fill(e); err != nil {
			return err
		}
		each(e)
	}
	return rows.Err()
}

// entitySlab is how many entities scanEntities allocates at once: a page's
// or a relation level's worth, not so many that a one-row read wastes much.
const entitySlab = 32

// entityScan is where one row's columns land: plain columns and arrays in
// the row, JSON as its text until fill decodes it. The JSON is pgx's own
// read buffer (DriverBytes), valid until the next row: fill decodes it
// (goccy copies its input) or copies it before then, so no column is
// copied only to be decoded and dropped (~28 KB a REST page).
type entityScan struct {
	row                     entityRow
	meta, links, perm, attr pgtype.DriverBytes
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
		return &r.Tags
	case "meta_tags":
		return &s.meta
	case "links":
		return &s.links
	case "permissions":
		return &s.perm
	case "general_access":
		return &r.GeneralAccess
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
	return nil // search_text, and whatever a later migration adds: skipped
}

// fill decodes the raw columns and sets e from the scanned row. Columns
// not read stay nil and leave their fields at fill's defaults.
func (s *entityScan) fill(e *cartograph.Entity) error {
	if err := errors.Join(decodeColumn(s.meta, &s.row.MetaTags, readMetaTags),
		decodeColumn(s.links, &s.row.Links, readLinks), decodeColumn(s.attr, &s.row.Attrs, readAttrs)); err != nil {
		return err
	}
	if s.perm != nil {
		s.row.Permissions = json.RawMessage(append([]byte(nil), s.perm...)) // kept: a copy of pgx's buffer
	}
	s.row.fill(e)
	return nil
}
