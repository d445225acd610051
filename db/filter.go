package db

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"cartograph/cartograph"
)

// Filter compilation: a cartograph.Filter tree becomes one SQL condition with
// ? placeholders and its arguments. Values never enter the SQL text; field
// and relation names are looked up in fixed tables, so no input can make
// invalid SQL. Relation conditions become correlated EXISTS subqueries over
// the relations table (indexed from both ends).

// fieldKind says how a field compares.
type fieldKind int

const (
	kindText fieldKind = iota
	kindTags
	kindMetaTag
	kindNumber
	kindTime
	kindJSONArray // a type field holding a JSON array of strings (languages)
)

// entityFields maps API field names to columns of an entities alias.
var entityFields = map[string]string{
	"id": "id::text", "name": "name", "description": "description", "type": "type",
	"provider": "provider", "providerType": "provider_type", "providerResourceKey": "provider_resource_key",
	"providerResourceType": "provider_resource_type", "providerAccountId": "provider_account_id",
	"location": "location", "origin": "origin", "createdBy": "created_by", "lastChangedBy": "last_changed_by",
}

// fieldResolver turns a field name into SQL over alias for entities of typ.
type fieldResolver func(alias string, typ cartograph.EntityType, name string) (string, fieldKind, bool)

// entityField resolves the fields of an entity: columns, tags, meta tags by
// name, the type's own fields (attrs), and — at the top level of the query
// builder — computed cost columns.
func entityField(costColumns map[string]string) fieldResolver {
	return func(alias string, typ cartograph.EntityType, name string) (string, fieldKind, bool) {
		if col, ok := entityFields[name]; ok {
			return alias + "." + col, kindText, true
		}
		switch name {
		case "tags":
			return alias + ".tags", kindTags, true
		case "createDateTime":
			return alias + ".created_at", kindTime, true
		case "lastChangedDateTime":
			return alias + ".updated_at", kindTime, true
		}
		if tag, ok := strings.CutPrefix(name, "metaTags."); ok && tag != "" {
			return tag, kindMetaTag, true
		}
		if col, ok := costColumns[name]; ok && alias == "e" {
			return col, kindNumber, true
		}
		if fd, ok := cartograph.FieldOf(typ, name); ok && typ != "" {
			switch fd.Kind {
			case cartograph.KindString, cartograph.KindEnum, cartograph.KindEmail:
				return fmt.Sprintf("(%s.attrs->>'%s')", alias, fd.Name), kindText, true
			case cartograph.KindNumber:
				return fmt.Sprintf("(%s.attrs->>'%s')::numeric", alias, fd.Name), kindNumber, true
			case cartograph.KindStrings:
				return fmt.Sprintf("%s.attrs->'%s'", alias, fd.Name), kindJSONArray, true
			}
		}
		return "", 0, false
	}
}

type compiler struct {
	field fieldResolver
	args  []any
	// copies names the relations aliases whose conditions read the copies
	// of their target's columns (migration 13) in place of an entity row.
	copies map[string]bool
}

// copyFields maps the fields a relation row copies from its target to
// those columns.
var copyFields = map[string]string{"id": "target_id::text", "name": "target_name", "type": "target_type", "provider": "target_provider"}

// copiesSuffice reports whether a condition on the entities a relation
// reaches reads only the fields each relation row copies from its target:
// nested relation conditions need only the target's id.
func copiesSuffice(f cartograph.Filter) bool {
	switch f.Op {
	case cartograph.OpAnd, cartograph.OpOr, cartograph.OpNot:
		for _, ch := range f.Children {
			if !copiesSuffice(ch) {
				return false
			}
		}
		return true
	case cartograph.OpSome, cartograph.OpEvery, cartograph.OpNone:
		return true
	}
	_, ok := copyFields[f.Field]
	return ok
}

// resolve is c.field, but for a relation alias standing for its target
// reads the copy of the field.
func (c *compiler) resolve(alias string, typ cartograph.EntityType, name string) (string, fieldKind, bool) {
	if !c.copies[alias] {
		return c.field(alias, typ, name)
	}
	col, ok := copyFields[name]
	return alias + "." + col, kindText, ok
}

// idOf returns the SQL for the id of the entity alias stands for: an
// entities row's own, or a relation's target.
func (c *compiler) idOf(alias string) string {
	if c.copies[alias] {
		return alias + ".target_id"
	}
	return alias + ".id"
}

// compileEntityFilter compiles f over the entities alias e of type typ (""
// when the query spans types: relation conditions then need a type).
func compileEntityFilter(f cartograph.Filter, typ cartograph.EntityType, costColumns map[string]string) (string, []any, error) {
	if err := checkFilterSize(f); err != nil {
		return "", nil, err
	}
	c := &compiler{field: entityField(costColumns)}
	sql, err := c.compile(f, "e", typ, 0)
	return sql, c.args, err
}

// checkFilterSize holds a filter tree to MaxFilterNodes conditions, each
// and, or, not and relation quantifier counting as one.
func checkFilterSize(f cartograph.Filter) error {
	if filterNodes(f) > cartograph.MaxFilterNodes {
		return invalid("the filter has more than %d conditions", cartograph.MaxFilterNodes)
	}
	return nil
}

func filterNodes(f cartograph.Filter) int {
	n := 1
	for _, c := range f.Children {
		n += filterNodes(c)
	}
	return n
}

func invalid(format string, args ...any) error {
	return &cartograph.Error{Code: cartograph.Invalid, Field: "filter", Message: fmt.Sprintf(format, args...)}
}

func (c *compiler) arg(v any) string {
	c.args = append(c.args, v)
	return "?"
}

func (c *compiler) compile(f cartograph.Filter, alias string, typ cartograph.EntityType, depth int) (string, error) {
	switch f.Op {
	case cartograph.OpAnd, cartograph.OpOr:
		if len(f.Children) == 0 {
			return map[cartograph.FilterOp]string{cartograph.OpAnd: "TRUE", cartograph.OpOr: "FALSE"}[f.Op], nil
		}
		parts := make([]string, len(f.Children))
		for i, ch := range f.Children {
			sql, err := c.compile(ch, alias, typ, depth)
			if err != nil {
				return "", err
			}
			parts[i] = "(" + sql + ")"
		}
		return strings.Join(parts, " "+strings.ToUpper(string(f.Op))+" "), nil
	case cartograph.OpNot:
		if len(f.Children) != 1 {
			return "", invalid("not takes one condition")
		}
		sql, err := c.compile(f.Children[0], alias, typ, depth)
		return "NOT coalesce((" + sql + "), false)", err
	case cartograph.OpSome, cartograph.OpEvery, cartograph.OpNone:
		return c.relation(f, alias, typ, depth)
	}
	if !slices.Contains(cartograph.Comparisons, f.Op) {
		return "", invalid("unknown operator %q", f.Op)
	}
	col, kind, ok := c.resolve(alias, typ, f.Field)
	if !ok {
		return "", invalid("unknown column %q", f.Field)
	}
	return c.comparison(col, kind, alias, f)
}

// relation compiles some/every/none over the entities one hop away.
func (c *compiler) relation(f cartograph.Filter, alias string, typ cartograph.EntityType, depth int) (string, error) {
	if depth >= cartograph.MaxFilterDepth {
		return "", invalid("relation conditions nest at most %d levels", cartograph.MaxFilterDepth)
	}
	if typ == "" {
		return "", invalid("the relation condition %q needs a single entity type to start from", f.Field)
	}
	hop, ok := cartograph.RelationPaths[typ][f.Field]
	if !ok {
		return "", invalid("unknown relation %q of %s", f.Field, typ)
	}
	if len(f.Children) != 1 {
		return "", invalid("%s %s takes one condition", f.Op, f.Field)
	}
	from, to := hopSQL(hop)
	r, e := fmt.Sprintf("r%d", depth+1), fmt.Sprintf("e%d", depth+1)
	join := fmt.Sprintf(" JOIN entities %[1]s ON %[1]s.org_id = %[2]s.org_id AND %[1]s.id = %[2]s.%[3]s", e, r, to)
	typeCol := e + ".type"
	if hop.Dir == cartograph.Out && copiesSuffice(f.Children[0]) {
		// The relation rows alone answer it, through relations_targets_by_name.
		if c.copies == nil {
			c.copies = map[string]bool{}
		}
		c.copies[r], e = true, r
		join, typeCol = "", r+".target_type"
	}
	head := fmt.Sprintf(`SELECT 1 FROM relations %[1]s%[2]s
		WHERE %[1]s.org_id = %[3]s.org_id AND %[1]s.%[4]s = %[5]s AND %[1]s.label = %[6]s AND %[7]s = %[8]s`,
		r, join, alias, from, c.idOf(alias), c.arg(hop.Label), typeCol, c.arg(string(hop.Type)))
	cond, err := c.compile(f.Children[0], e, hop.Type, depth+1)
	if err != nil {
		return "", err
	}
	switch f.Op {
	case cartograph.OpSome:
		return "EXISTS (" + head + " AND (" + cond + "))", nil
	case cartograph.OpEvery:
		return "NOT EXISTS (" + head + " AND NOT coalesce((" + cond + "), false))", nil
	default:
		return "NOT EXISTS (" + head + " AND (" + cond + "))", nil
	}
}

// scalar returns a comparison value as text (numbers keep their form).
func scalar(v any, op cartograph.FilterOp, field string) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case float64, int, int64, json.Number:
		return fmt.Sprint(x), nil
	case bool:
		return fmt.Sprint(x), nil
	}
	return "", invalid("%s on %q needs a string or number value", op, field)
}

func list(v any, op cartograph.FilterOp, field string) ([]string, error) {
	var items []any
	switch x := v.(type) {
	case []any:
		items = x
	case []string:
		for _, s := range x {
			items = append(items, s)
		}
	default:
		return nil, invalid("%s on %q needs a list of values", op, field)
	}
	out := make([]string, len(items))
	for i, it := range items {
		s, err := scalar(it, op, field)
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

func escapePattern(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// comparison compiles a leaf on a resolved column.
func (c *compiler) comparison(col string, kind fieldKind, alias string, f cartograph.Filter) (string, error) {
	if f.Op == cartograph.OpExists {
		want, ok := f.Value.(bool)
		if !ok {
			return "", invalid("exists on %q needs true or false", f.Field)
		}
		var sql string
		switch kind {
		case kindTags:
			sql = "cardinality(" + col + ") > 0"
		case kindMetaTag:
			sql = alias + ".meta_tags @> " + c.arg(mustJSON([]map[string]string{{"name": col}})) + "::jsonb"
		case kindJSONArray:
			sql = "jsonb_array_length(coalesce(" + col + ", '[]')) > 0"
		case kindNumber, kindTime:
			sql = col + " IS NOT NULL"
		default:
			sql = "coalesce(" + col + ", '') <> ''"
		}
		if !want {
			sql = "NOT (" + sql + ")"
		}
		return sql, nil
	}
	if f.Op == cartograph.OpIn || f.Op == cartograph.OpNin {
		vals, err := list(f.Value, f.Op, f.Field)
		if err != nil {
			return "", err
		}
		var sql string
		switch kind {
		case kindTags:
			sql = col + " && " + c.arg(pgArray(vals)) + "::text[]"
		case kindMetaTag:
			sql = c.metaTag(col, alias, func() string { return "m->>'value' = ANY(" + c.arg(pgArray(vals)) + "::text[])" })
		case kindJSONArray:
			sql = "jsonb_exists_any(" + col + ", " + c.arg(pgArray(vals)) + "::text[])"
		case kindNumber:
			sql = col + " = ANY(" + c.arg(pgArray(vals)) + "::numeric[])"
		case kindTime:
			sql = col + " = ANY(" + c.arg(pgArray(vals)) + "::timestamptz[])"
		default:
			sql = col + " = ANY(" + c.arg(pgArray(vals)) + "::text[])"
		}
		if f.Op == cartograph.OpNin {
			sql = "NOT coalesce((" + sql + "), false)"
		}
		return sql, nil
	}
	v, err := scalar(f.Value, f.Op, f.Field)
	if err != nil {
		return "", err
	}
	if kind == kindNumber {
		if _, err := fmt.Sscanf(v, "%g", new(float64)); err != nil {
			return "", invalid("%q compares with numbers, not %q", f.Field, v)
		}
	}
	// text is how each operator applies to a text expression x.
	text := func(x string) (string, error) {
		switch f.Op {
		case cartograph.OpEq:
			return x + " = " + c.arg(v), nil
		case cartograph.OpNe:
			return x + " IS DISTINCT FROM " + c.arg(v), nil
		case cartograph.OpILike:
			if trailing := len(v) - len(strings.TrimRight(v, `\`)); trailing%2 == 1 {
				return "", invalid("the ilike pattern for %q ends with an escape character (\\)", f.Field)
			}
			return x + " ILIKE " + c.arg(v), nil
		case cartograph.OpContains:
			return x + " ILIKE " + c.arg("%"+escapePattern(v)+"%"), nil
		case cartograph.OpStartsWith:
			return x + " LIKE " + c.arg(escapePattern(v)+"%"), nil
		}
		op := map[cartograph.FilterOp]string{cartograph.OpGt: ">", cartograph.OpGte: ">=", cartograph.OpLt: "<", cartograph.OpLte: "<="}[f.Op]
		return x + ` COLLATE "C" ` + op + " " + c.arg(v), nil
	}
	switch kind {
	case kindTags:
		switch f.Op {
		case cartograph.OpEq, cartograph.OpContains:
			return c.arg(v) + " = ANY(" + col + ")", nil
		case cartograph.OpNe:
			return "NOT (" + c.arg(v) + " = ANY(" + col + "))", nil
		}
		cond, err := text("t")
		return "EXISTS (SELECT 1 FROM unnest(" + col + ") t WHERE " + cond + ")", err
	case kindJSONArray:
		switch f.Op {
		case cartograph.OpEq, cartograph.OpContains:
			return "jsonb_exists(" + col + ", " + c.arg(v) + ")", nil
		case cartograph.OpNe:
			return "NOT coalesce(jsonb_exists(" + col + ", " + c.arg(v) + "), false)", nil
		}
		cond, err := text("t")
		return "EXISTS (SELECT 1 FROM jsonb_array_elements_text(coalesce(" + col + ", '[]')) t WHERE " + cond + ")", err
	case kindMetaTag:
		if f.Op == cartograph.OpEq {
			// Containment uses the GIN index on meta_tags.
			return alias + ".meta_tags @> " + c.arg(mustJSON([]map[string]string{{"name": col, "value": v}})) + "::jsonb", nil
		}
		if f.Op == cartograph.OpNe {
			return "NOT (" + alias + ".meta_tags @> " + c.arg(mustJSON([]map[string]string{{"name": col, "value": v}})) + "::jsonb)", nil
		}
		var err error
		sql := c.metaTag(col, alias, func() string {
			var cond string
			cond, err = text("(m->>'value')")
			return cond
		})
		return sql, err
	case kindNumber:
		op := map[cartograph.FilterOp]string{cartograph.OpEq: "=", cartograph.OpNe: "<>", cartograph.OpGt: ">",
			cartograph.OpGte: ">=", cartograph.OpLt: "<", cartograph.OpLte: "<="}[f.Op]
		if op == "" {
			return "", invalid("%s does not apply to the number %q", f.Op, f.Field)
		}
		return col + " " + op + " " + c.arg(v) + "::numeric", nil
	case kindTime:
		op := map[cartograph.FilterOp]string{cartograph.OpEq: "=", cartograph.OpNe: "<>", cartograph.OpGt: ">",
			cartograph.OpGte: ">=", cartograph.OpLt: "<", cartograph.OpLte: "<="}[f.Op]
		if op == "" {
			return "", invalid("%s does not apply to the time %q", f.Op, f.Field)
		}
		if _, err := parseTime(v); err != nil {
			return "", invalid("%q compares with RFC 3339 times, not %q", f.Field, v)
		}
		return col + " " + op + " " + c.arg(v) + "::timestamptz", nil
	}
	return text(col)
}

// metaTag: some meta tag named name satisfies the condition cond builds
// (over m). The name's placeholder is taken first, as it comes first in the
// text: arguments must be added in the order their ? appear.
func (c *compiler) metaTag(name, alias string, cond func() string) string {
	head := "EXISTS (SELECT 1 FROM jsonb_array_elements(" + alias + ".meta_tags) m WHERE m->>'name' = " + c.arg(name) + " AND "
	return head + cond() + ")"
}

func parseTime(s string) (time.Time, error) { return time.Parse(time.RFC3339, s) }

// FilterSQL renders a filter's SQL condition over the entities alias e, for
// benchmarks and tools that print plans.
func FilterSQL(f cartograph.Filter, typ cartograph.EntityType) (string, []any, error) {
	return compileEntityFilter(f, typ, nil)
}
