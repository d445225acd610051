package main

import (
	"encoding/json"
	"testing"
)

// FuzzQuote checks that quote writes valid JSON that reads back as
// encoding/json's own encoding of the same string does (invalid UTF-8
// included, which both replace with U+FFFD).
func FuzzQuote(f *testing.F) {
	for _, s := range []string{"", "payments-core", `a"b\c`, "tab\there\nline", "\x00\x1f\x7f", "ünïcødé ✓", "bad \xff\xfe utf8", "\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var got, want string
		if err := json.Unmarshal(quote(nil, s), &got); err != nil {
			t.Fatalf("quote(%q) = %s: not JSON: %v", s, quote(nil, s), err)
		}
		std, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(std, &want); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("quote(%q) reads back as %q, encoding/json's as %q", s, got, want)
		}
	})
}
