package db

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
	"unsafe"

	gojson "github.com/goccy/go-json"

	"cartograph/cartograph"
)

// The entity columns meta_tags, links and attrs are read for every whole
// entity, and decoding them with goccy's reflection-driven decoder was a
// quarter of the server's CPU for a REST page of whole entities. Their
// shapes are fixed (an array of flat objects, an object of raw values), and
// PostgreSQL always writes jsonb the same way, so the readers below walk that
// text directly. On anything they do not expect (an escaped string, an
// unknown key, a null, a number where a string goes) they give up and the
// column is decoded by goccy instead: the result is always goccy's
// (FuzzJSONColumns holds them to it).

// decodeColumn decodes a jsonb column, if it was read, into v: through
// read when it can, else through goccy.
func decodeColumn[T any](b []byte, v *T, read func([]byte) (T, bool)) error {
	if b == nil {
		return nil
	}
	if got, ok := read(b); ok {
		*v = got
		return nil
	}
	return gojson.Unmarshal(b, v)
}

func readMetaTags(b []byte) ([]cartograph.MetaTag, bool) {
	return readObjects(b, func(r *jsonText, t *cartograph.MetaTag, key []byte) (ok bool) {
		switch string(key) {
		case "name":
			t.Name, ok = r.str()
		case "type":
			t.Type, ok = r.str()
			t.Type = metaTagType(t.Type)
		case "value":
			t.Value, ok = r.raw()
		case "createdBy":
			t.CreatedBy, ok = r.str()
		}
		return ok
	})
}

// metaTagType returns the constant for a known meta tag type, so that
// fifty entities' few types are not fifty copies of each.
func metaTagType(s string) string {
	for _, known := range cartograph.MetaTagTypes {
		if s == known {
			return known
		}
	}
	return s
}

func readLinks(b []byte) ([]cartograph.Link, bool) {
	return readObjects(b, func(r *jsonText, l *cartograph.Link, key []byte) (ok bool) {
		switch string(key) {
		case "url":
			l.URL, ok = r.str()
		case "title":
			l.Title, ok = r.str()
		case "icon":
			l.Icon, ok = r.str()
		}
		return ok
	})
}

// readObjects reads an array of objects, each key's value through field,
// which reports false for a key it does not know.
func readObjects[T any](b []byte, field func(r *jsonText, t *T, key []byte) bool) ([]T, bool) {
	if isEmpty(b, "[]") {
		return []T{}, true
	}
	r := newJSONText(b)
	out := make([]T, 0, bytes.Count(b, []byte("{")))
	ok := r.array(func() bool {
		var zero T
		out = append(out, zero)
		t := &out[len(out)-1] // filled in place: no T of its own to allocate
		return r.object(func(key []byte) bool { return field(&r, t, key) })
	})
	return out, ok && r.end()
}

func readAttrs(b []byte) (map[string]json.RawMessage, bool) {
	if isEmpty(b, "{}") {
		return map[string]json.RawMessage{}, true
	}
	r := newJSONText(b)
	attrs := make(map[string]json.RawMessage, bytes.Count(b, []byte(":")))
	ok := r.object(func(key []byte) bool {
		raw, ok := r.raw()
		attrs[r.string(key)] = raw
		return ok
	})
	return attrs, ok && r.end()
}

// jsonText walks one JSON text as PostgreSQL writes jsonb. Its methods
// report false for anything but the plain forms they read, and the caller
// then leaves the text to a full decoder.
//
// The text is the driver's read buffer, reused for the next row, so the
// walk runs over one copy of it, and every string and raw value it returns
// points into that copy, which nothing writes again: one allocation for a
// column instead of one for each of its strings.
type jsonText struct {
	b []byte
	i int
}

func newJSONText(b []byte) jsonText { return jsonText{b: bytes.Clone(b)} }

// isEmpty reports whether b is exactly the empty array or object, PostgreSQL's
// text for most entities' columns, which needs no copy.
func isEmpty(b []byte, empty string) bool { return string(b) == empty }

// string returns s, a part of r's copy, as a string without copying it.
func (r *jsonText) string(s []byte) string {
	if len(s) == 0 {
		return ""
	}
	return unsafe.String(&s[0], len(s)) //nolint:gosec // G103: s is a part of r's own copy that no raw value it returns overlaps
}

func (r *jsonText) space() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// next skips white space and consumes c if it comes next.
func (r *jsonText) next(c byte) bool {
	r.space()
	if r.i < len(r.b) && r.b[r.i] == c {
		r.i++
		return true
	}
	return false
}

// end reports whether only white space is left.
func (r *jsonText) end() bool {
	r.space()
	return r.i == len(r.b)
}

// array reads [item, ...], calling item at each element.
func (r *jsonText) array(item func() bool) bool {
	if !r.next('[') {
		return false
	}
	if r.next(']') {
		return true
	}
	for {
		if !item() {
			return false
		}
		if r.next(']') {
			return true
		}
		if !r.next(',') {
			return false
		}
	}
}

// object reads {"key": value, ...}; field reads each value. A key that
// field does not know ends the walk (field returns false), as a decoder
// into a struct would match it differently.
func (r *jsonText) object(field func(key []byte) bool) bool {
	if !r.next('{') {
		return false
	}
	if r.next('}') {
		return true
	}
	for {
		r.space()
		key, ok := r.plain()
		if !ok || !r.next(':') {
			return false
		}
		r.space()
		if !field(key) {
			return false
		}
		if r.next('}') {
			return true
		}
		if !r.next(',') {
			return false
		}
	}
}

// plain reads a string with no escape, control character or invalid UTF-8
// (which a decoder would replace) and returns its bytes, still in the text.
func (r *jsonText) plain() ([]byte, bool) {
	if r.i >= len(r.b) || r.b[r.i] != '"' {
		return nil, false
	}
	var high byte
	for j := r.i + 1; j < len(r.b); j++ {
		switch c := r.b[j]; {
		case c == '"':
			s := r.b[r.i+1 : j]
			if high >= utf8.RuneSelf && !utf8.Valid(s) {
				return nil, false
			}
			r.i = j + 1
			return s, true
		case c == '\\' || c < 0x20:
			return nil, false
		default:
			high |= c
		}
	}
	return nil, false
}

// str reads a plain string value.
func (r *jsonText) str() (string, bool) {
	s, ok := r.plain()
	return r.string(s), ok
}

// raw returns the next value's text: a string (escapes kept), an
// array or object (its nesting balanced), or a number, true or false. A
// null is left to the full decoder.
func (r *jsonText) raw() (json.RawMessage, bool) {
	start, depth := r.i, 0
	for r.i < len(r.b) {
		switch c := r.b[r.i]; c {
		case '"':
			if !r.skipString() {
				return nil, false
			}
			if depth == 0 {
				return r.copy(start), true
			}
			continue
		case '[', '{':
			depth++
		case ']', '}':
			if depth == 0 {
				return r.copy(start), r.i > start
			}
			depth--
			if depth == 0 {
				r.i++
				return r.copy(start), true
			}
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return r.copy(start), r.i > start
			}
		case 'n':
			if depth == 0 {
				return nil, false
			}
		}
		r.i++
	}
	return r.copy(start), depth == 0 && r.i > start
}

// skipString moves past the string that starts at r.i, escapes and all.
func (r *jsonText) skipString() bool {
	for j := r.i + 1; j < len(r.b); j++ {
		switch r.b[j] {
		case '\\':
			j++
		case '"':
			r.i = j + 1
			return true
		}
	}
	return false
}

// copy returns the value's text from start, capped so that an append to it
// cannot write over what follows.
func (r *jsonText) copy(start int) json.RawMessage {
	return json.RawMessage(r.b[start:r.i:r.i])
}
