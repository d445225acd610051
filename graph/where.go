package graph

import (
	"bytes"
	"encoding/json"
	"fmt"

	"cartograph/cartograph"
)

// whereFilter converts an EntityWhere input into the domain's filter: every
// part of a node must hold; nil when there is no condition.
func whereFilter(m map[string]any) (*cartograph.Filter, error) {
	if m == nil {
		return nil, nil
	}
	f, err := whereNode(m, 0)
	return &f, err
}

func whereNode(m map[string]any, depth int) (cartograph.Filter, error) {
	if depth > 30 {
		return cartograph.Filter{}, &cartograph.Error{Code: cartograph.Invalid, Field: "where", Message: "where is nested too deep"}
	}
	all := cartograph.Filter{Op: cartograph.OpAnd}
	sub := func(v any) (cartograph.Filter, error) {
		mm, ok := v.(map[string]any)
		if !ok {
			return cartograph.Filter{}, &cartograph.Error{Code: cartograph.Invalid, Field: "where", Message: "where conditions are objects"}
		}
		return whereNode(mm, depth+1)
	}
	subs := func(v any) ([]cartograph.Filter, error) {
		var items []any
		switch x := v.(type) {
		case []any:
			items = x
		case []map[string]any:
			for _, it := range x {
				items = append(items, it)
			}
		}
		out := make([]cartograph.Filter, 0, len(items))
		for _, it := range items {
			f, err := sub(it)
			if err != nil {
				return nil, err
			}
			out = append(out, f)
		}
		return out, nil
	}
	for _, op := range []string{"and", "or"} {
		if v, ok := m[op]; ok && v != nil {
			ch, err := subs(v)
			if err != nil {
				return all, err
			}
			all.Children = append(all.Children, cartograph.Filter{Op: cartograph.FilterOp(op), Children: ch})
		}
	}
	if v, ok := m["not"]; ok && v != nil {
		ch, err := sub(v)
		if err != nil {
			return all, err
		}
		all.Children = append(all.Children, cartograph.Filter{Op: cartograph.OpNot, Children: []cartograph.Filter{ch}})
	}
	field, _ := plain(m["field"]).(string)
	for _, op := range cartograph.Comparisons {
		v := plain(m[string(op)])
		if v == nil {
			continue
		}
		if field == "" {
			return all, &cartograph.Error{Code: cartograph.Invalid, Field: "where", Message: fmt.Sprintf("%s needs a field", op)}
		}
		all.Children = append(all.Children, cartograph.Filter{Op: op, Field: field, Value: v})
	}
	relation, _ := plain(m["relation"]).(string)
	for _, op := range []cartograph.FilterOp{cartograph.OpSome, cartograph.OpEvery, cartograph.OpNone} {
		v := plain(m[string(op)])
		if v == nil {
			continue
		}
		if relation == "" {
			return all, &cartograph.Error{Code: cartograph.Invalid, Field: "where", Message: fmt.Sprintf("%s needs a relation", op)}
		}
		ch, err := sub(v)
		if err != nil {
			return all, err
		}
		all.Children = append(all.Children, cartograph.Filter{Op: op, Field: relation, Children: []cartograph.Filter{ch}})
	}
	return all, nil
}

// plain turns the typed values gqlgen puts in an input map (*string, *bool,
// json.RawMessage for the JSON scalar, lists of them) into plain Go values.
func plain(v any) any {
	switch x := v.(type) {
	case *string:
		if x == nil {
			return nil
		}
		return *x
	case *bool:
		if x == nil {
			return nil
		}
		return *x
	case json.RawMessage:
		var out any
		d := json.NewDecoder(bytes.NewReader(x))
		d.UseNumber()
		if d.Decode(&out) != nil {
			return nil
		}
		return out
	case []json.RawMessage:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plain(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plain(e)
		}
		return out
	}
	return v
}

// whereKey is a canonical text of a where input, to key loaders by it.
func whereKey(m map[string]any) string {
	if m == nil {
		return ""
	}
	b, _ := json.Marshal(m)
	return string(b)
}
