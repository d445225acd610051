package cartograph

import "encoding/json"

// AppendCompactJSON appends a stored JSON value (jsonb text, so valid JSON)
// compacted, as json.Compact writes it; an absent one is null. With
// escapeHTML, strings are also made HTML-safe as encoding/json writes a
// json.RawMessage (json.HTMLEscape): <, >, & and U+2028/U+2029 escaped. It is
// one pass without allocation: GraphQL's JSON scalar and every REST entity
// write stored JSON through it.
func AppendCompactJSON(dst []byte, raw json.RawMessage, escapeHTML bool) []byte {
	if len(raw) == 0 {
		return append(dst, "null"...)
	}
	const hex = "0123456789abcdef"
	inString := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case !inString && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			continue
		case c == '"':
			inString = !inString
		case !inString:
		case c == '\\' && i+1 < len(raw):
			dst = append(dst, c, raw[i+1])
			i++
			continue
		case !escapeHTML:
		case c == '<' || c == '>' || c == '&':
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			continue
		case c == 0xE2 && i+2 < len(raw) && raw[i+1] == 0x80 && raw[i+2]&^1 == 0xA8: // U+2028, U+2029
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[raw[i+2]&0xF])
			i += 2
			continue
		}
		dst = append(dst, c)
	}
	return dst
}
