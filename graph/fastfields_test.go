package graph

import (
	"bytes"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

var quoteSeeds = []string{
	"", "plain", `say "hi"`, `back\slash`, "tab\tcr\rlf\n", "\x00\x01\x1f\x7f", "ünï ✓", "\xff\xfe invalid", "</script>&",
}

// TestQuoteAsGQLGen holds the fast path's string writer to gqlgen's
// MarshalString, byte for byte.
func TestQuoteAsGQLGen(t *testing.T) {
	for _, s := range quoteSeeds {
		checkQuote(t, s)
	}
}

func FuzzQuoteAsGQLGen(f *testing.F) {
	for _, s := range quoteSeeds {
		f.Add(s)
	}
	f.Fuzz(checkQuote)
}

func checkQuote(t *testing.T, s string) {
	var r fastRun
	r.quote(s)
	var want bytes.Buffer
	graphql.MarshalString(s).MarshalGQL(&want)
	if r.buf.String() != want.String() {
		t.Fatalf("quote(%q) = %s, gqlgen writes %s", s, r.buf.String(), want.String())
	}
}
