package rest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"cartograph/cartograph"
	"cartograph/db"
)

// An entity's Configure8 DTO is written straight into a byte slice: the
// common fields, its type's own (TypeFields) and, in the query builder, the
// cost columns, with keys in sorted order. The bytes are those
// encoding/json (or goccy) gives for the same fields as a map: sorted keys,
// HTML-safe strings, [] for empty arrays, JSON values compacted. Pages of
// whole entities are this API's biggest answers; building and encoding a map
// per entity took a third of the server's CPU under the query builder.

// entityDTO is what one entity's DTO is written from.
type entityDTO struct {
	e       *cartograph.Entity
	parents []cartograph.Parent
	costs   *db.CostColumns // query-builder cost columns, or nil
}

// dtoField writes one key and its value.
type dtoField struct {
	name  string
	part  cartograph.EntityParts // what value reads of the entity; 0 for a cost column
	key   []byte                 // "name":
	value func(b []byte, d *entityDTO) []byte
}

// dtoFields lists, per entity type, the DTO's fields in key order: [0]
// without the cost columns, [1] with them.
var dtoFields = func() map[cartograph.EntityType][2][]dtoField {
	common := []dtoField{
		field("id", cartograph.PartCore, func(b []byte, d *entityDTO) []byte { return appendString(b, d.e.ID) }),
		field("name", cartograph.PartCore, func(b []byte, d *entityDTO) []byte { return appendString(b, d.e.Name) }),
		field("orgId", cartograph.PartCore, func(b []byte, d *entityDTO) []byte { return appendString(b, d.e.OrgID) }),
		field("type", cartograph.PartCore, func(b []byte, d *entityDTO) []byte { return appendString(b, string(d.e.Type)) }),
		field("description", cartograph.PartDescription, func(b []byte, d *entityDTO) []byte { return appendString(b, d.e.Description) }),
		field("tags", cartograph.PartTags, func(b []byte, d *entityDTO) []byte { return appendStrings(b, d.e.Tags) }),
		field("metaTags", cartograph.PartMetaTags, func(b []byte, d *entityDTO) []byte { return appendMetaTags(b, d.e.MetaTags) }),
		field("links", cartograph.PartLinks, func(b []byte, d *entityDTO) []byte { return appendLinks(b, d.e.Links) }),
		field("parents", cartograph.PartCore, func(b []byte, d *entityDTO) []byte { return appendParents(b, d.parents) }),
		field("createdBy", cartograph.PartAuthors, func(b []byte, d *entityDTO) []byte { return appendString(b, d.e.CreatedBy) }),
		field("lastChangedBy", cartograph.PartAuthors, func(b []byte, d *entityDTO) []byte { return appendString(b, d.e.LastChangedBy) }),
		field("createDateTime", cartograph.PartTimes, func(b []byte, d *entityDTO) []byte { return appendTime(b, d.e.CreatedAt) }),
		field("lastChangedDateTime", cartograph.PartTimes, func(b []byte, d *entityDTO) []byte { return appendTime(b, d.e.UpdatedAt) }),
		field("permissions", cartograph.PartPermissions, func(b []byte, d *entityDTO) []byte { return appendRaw(b, d.e.Permissions) }),
		field("generalAccess", cartograph.PartAccess, func(b []byte, d *entityDTO) []byte { return appendStrings(b, d.e.GeneralAccess) }),
		field("origin", cartograph.PartAuthors, func(b []byte, d *entityDTO) []byte { return appendString(b, string(d.e.Origin)) }),
	}
	costs := []dtoField{
		field("accruedCosts", 0, func(b []byte, d *entityDTO) []byte { return append(b, d.costs.Accrued...) }),
		field("priorPeriodCosts", 0, func(b []byte, d *entityDTO) []byte { return append(b, d.costs.Prior...) }),
		field("changeCosts", 0, func(b []byte, d *entityDTO) []byte { return append(b, d.costs.Change...) }),
	}
	byName := func(a, b dtoField) int { return strings.Compare(a.name, b.name) }
	out := map[cartograph.EntityType][2][]dtoField{}
	for _, t := range cartograph.EntityTypes {
		fields := slices.Clone(common)
		for _, fd := range cartograph.TypeFields[t] {
			if fd.Output {
				fields = append(fields, field(fd.Name, fieldPart(fd), func(b []byte, d *entityDTO) []byte { return appendFieldValue(b, d.e, fd) }))
			}
		}
		withCosts := slices.Concat(fields, costs)
		slices.SortFunc(fields, byName)
		slices.SortFunc(withCosts, byName)
		out[t] = [2][]dtoField{fields, withCosts}
	}
	return out
}()

func field(name string, part cartograph.EntityParts, value func([]byte, *entityDTO) []byte) dtoField {
	return dtoField{name: name, part: part, key: append(appendString(nil, name), ':'), value: value}
}

// fieldPart is the part of an entity a type's own field is read from
// (appendFieldValue): its column's, or the attrs.
func fieldPart(fd cartograph.FieldSpec) cartograph.EntityParts {
	if part, ok := db.ColumnPart(fd.Column); ok {
		return part
	}
	return cartograph.PartAttrs
}

// includeParts returns the parts of an entity of the given types (none:
// every type) that the DTO properties named in include are written from,
// so that a read skips the columns, JSON above all, that no property shows,
// and whether include names a cost column. A nil include is every property.
func includeParts(types []cartograph.EntityType, include []string) (parts cartograph.EntityParts, costs bool) {
	if include == nil {
		return cartograph.AllParts, true
	}
	if len(types) == 0 {
		types = cartograph.EntityTypes
	}
	parts = cartograph.PartCore
	for _, t := range types {
		for _, f := range dtoFields[t][1] {
			if slices.Contains(include, f.name) {
				parts |= f.part
				costs = costs || f.part == 0
			}
		}
	}
	return parts, costs
}

// appendEntity writes d's DTO. With include, only those properties are
// written, and id and type always (includeProperties).
func appendEntity(b []byte, d *entityDTO, include []string) []byte {
	set := 0
	if d.costs != nil {
		set = 1
	}
	b = append(b, '{')
	first := true
	for _, f := range dtoFields[d.e.Type][set] {
		if include != nil && f.name != "id" && f.name != "type" && !slices.Contains(include, f.name) {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, f.key...)
		b = f.value(b, d)
	}
	return append(b, '}')
}

// entityJSON returns e's DTO (with its parents) as JSON, for answers that
// embed it in a larger value.
func entityJSON(e *cartograph.Entity, parents []cartograph.Parent) json.RawMessage {
	return appendEntity(nil, &entityDTO{e: e, parents: parents}, nil)
}

// appendPage appends to b a page answer {items, pageNumber, pageSize,
// totalFound} with its n items written by item, and the newline an encoder
// ends with.
func appendPage(b []byte, n, pageNumber, pageSize, total int, item func(b []byte, i int) []byte) []byte {
	b = slices.Grow(b, 128+1024*n) // an entity takes about 1 KB
	b = append(b, `{"items":[`...)
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = item(b, i)
	}
	b = append(b, `],"pageNumber":`...)
	b = strconv.AppendInt(b, int64(pageNumber), 10)
	b = append(b, `,"pageSize":`...)
	b = strconv.AppendInt(b, int64(pageSize), 10)
	b = append(b, `,"totalFound":`...)
	b = strconv.AppendInt(b, int64(total), 10)
	return append(b, "}\n"...)
}

// pageBuffers keeps page answers' buffers between requests. A REST page of
// fifty entities is ~50 KB, which every request allocated, and the runtime
// zeroed, afresh. A buffer grown past maxPooledPage (a page of up to 1,000
// entities) is left to the collector rather than kept.
var pageBuffers = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledPage = 1 << 20

// writePage answers 200 with a page (appendPage) written into a pooled
// buffer, which goes back to the pool once written: the response writer
// copies or sends what it is given before Write returns.
func writePage(w http.ResponseWriter, n, pageNumber, pageSize, total int, item func(b []byte, i int) []byte) {
	buf := pageBuffers.Get().(*[]byte)
	*buf = appendPage((*buf)[:0], n, pageNumber, pageSize, total, item)
	writeBody(w, http.StatusOK, *buf)
	if cap(*buf) <= maxPooledPage {
		pageBuffers.Put(buf)
	}
}

// appendCostRow writes a schema-cost row.
func appendCostRow(b []byte, c *cartograph.Cost) []byte {
	b = append(b, `{"arn":`...)
	b = appendString(b, c.ARN)
	b = append(b, `,"catalogResourceId":`...)
	b = appendString(b, c.ResourceID)
	b = append(b, `,"cost":`...)
	b = append(b, c.Cost...)
	b = append(b, `,"date":`...)
	b = appendString(b, c.Date)
	b = append(b, `,"operation":`...)
	b = appendString(b, c.Operation)
	return append(b, '}')
}

// appendFieldValue writes a type-specific field, with the zero value of its
// kind when unset.
func appendFieldValue(b []byte, e *cartograph.Entity, fd cartograph.FieldSpec) []byte {
	switch fd.Column {
	case "provider":
		return appendString(b, e.Provider)
	case "provider_type":
		return appendString(b, e.ProviderType)
	case "provider_resource_key":
		return appendString(b, e.ProviderResourceKey)
	case "provider_resource_type":
		return appendString(b, e.ProviderResourceType)
	case "provider_account_id":
		return appendString(b, e.ProviderAccountID)
	case "location":
		return appendString(b, e.Location)
	case "name":
		return appendString(b, e.Name)
	}
	if raw, ok := e.Attrs[fd.Name]; ok {
		return appendRaw(b, raw)
	}
	switch fd.Kind {
	case cartograph.KindStrings, cartograph.KindObjects, cartograph.KindUUIDs:
		return append(b, "[]"...)
	case cartograph.KindObject:
		return append(b, "{}"...)
	case cartograph.KindBool:
		return append(b, "false"...)
	case cartograph.KindNumber:
		return append(b, '0')
	}
	return append(b, `""`...)
}

// appendTime writes t as the Configure8 API does (JavaScript ISO, UTC).
func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, catalogTimeLayout)
	return append(b, '"')
}

// appendList writes a list with item; nil is null, as encoders write it.
func appendList[T any](b []byte, list []T, item func([]byte, T) []byte) []byte {
	if list == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, x := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = item(b, x)
	}
	return append(b, ']')
}

func appendStrings(b []byte, ss []string) []byte { return appendList(b, ss, appendString) }

func appendMetaTags(b []byte, tags []cartograph.MetaTag) []byte {
	return appendList(b, tags, func(b []byte, t cartograph.MetaTag) []byte {
		b = append(b, `{"name":`...)
		b = appendString(b, t.Name)
		b = append(b, `,"value":`...)
		b = appendRaw(b, t.Value)
		b = append(b, `,"type":`...)
		b = appendString(b, t.Type)
		if t.CreatedBy != "" {
			b = append(b, `,"createdBy":`...)
			b = appendString(b, t.CreatedBy)
		}
		return append(b, '}')
	})
}

func appendLinks(b []byte, links []cartograph.Link) []byte {
	return appendList(b, links, func(b []byte, l cartograph.Link) []byte {
		b = append(b, `{"url":`...)
		b = appendString(b, l.URL)
		b = append(b, `,"title":`...)
		b = appendString(b, l.Title)
		b = append(b, `,"icon":`...)
		b = appendString(b, l.Icon)
		return append(b, '}')
	})
}

// appendParents writes an entity's parents; none is [].
func appendParents(b []byte, parents []cartograph.Parent) []byte {
	if parents == nil {
		parents = []cartograph.Parent{}
	}
	return appendList(b, parents, func(b []byte, p cartograph.Parent) []byte {
		b = append(b, `{"id":`...)
		b = appendString(b, p.ID)
		for _, kv := range [...]struct{ key, value string }{{`,"label":`, p.Label}, {`,"secondaryId":`, p.SecondaryID}, {`,"field":`, p.Field}} {
			if kv.value != "" {
				b = append(b, kv.key...)
				b = appendString(b, kv.value)
			}
		}
		return append(b, '}')
	})
}

// appendString writes s as a JSON string, HTML-safe as encoding/json
// writes it. Most strings need no escaping and are copied; the others go
// through encoding/json itself.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendRaw writes a stored JSON value compacted and HTML-safe, as encoders
// write a json.RawMessage; an absent one is null.
func appendRaw(b []byte, raw json.RawMessage) []byte {
	return cartograph.AppendCompactJSON(b, raw, true)
}
