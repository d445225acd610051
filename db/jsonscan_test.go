package db

import (
	"encoding/json"
	"reflect"
	"testing"

	gojson "github.com/goccy/go-json"
)

// Column texts as PostgreSQL writes jsonb, and a few it never writes.
var jsonColumnSeeds = []string{
	`[]`, `{}`, `null`,
	`[{"name": "env", "type": "AutoMap", "value": "dev"}, {"name": "cost-center", "type": "Text", "value": "CC-1028"}]`,
	`[{"name": "spec", "type": "JSON", "value": "{\"replicas\":3,\"cpu\":\"500m\"}"}]`,
	`[{"name": "n", "type": "JSON", "value": {"x": [1, "two", null, {"y": "]}"}]}, "createdBy": "SYSTEM"}]`,
	`[{"name": "n", "type": "Text", "value": 12.5e3}, {"name": "m", "type": "Code", "value": true}]`,
	`[{"name": "n", "type": "Text", "value": null}]`,
	`[{"name": "say \"hi\"", "type": "Text", "value": "x"}]`,
	`[{"Name": "upper", "type": "Text", "value": "x"}]`,
	`[{"name": "ünï", "type": "Text", "value": "x"}]`,
	`[{"name": "a", "name": "b", "value": "1", "value": "2"}]`,
	`[{"url": "https://docs.acme.example/services/x", "icon": "confluence", "title": "Docs"}]`,
	`[{"url": "https://e.com/?a=1&b=2", "icon": "", "title": "t \"q\""}]`,
	`{"languages": ["Kotlin"], "lifecycle": "production", "repositoryPath": "/"}`,
	`{"details": {"retentionDays": 90}, "n": -1, "b": false, "s": "C:\\repo"}`,
	`{"a": null}`, `{"a\u0062": 1}`, `[1]`, `[{}]`, `"x"`, `{"a": 1} `,
}

// FuzzJSONColumns holds the fast column readers to goccy: whenever one
// reads a valid JSON text, it must give exactly what goccy decodes from it.
func FuzzJSONColumns(f *testing.F) {
	for _, s := range jsonColumnSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return
		}
		sameAsGoccy(t, b, readMetaTags)
		sameAsGoccy(t, b, readLinks)
		sameAsGoccy(t, b, readAttrs)
	})
}

func sameAsGoccy[T any](t *testing.T, b []byte, read func([]byte) (T, bool)) {
	t.Helper()
	got, ok := read(b)
	if !ok {
		return // the column goes to goccy
	}
	var want T
	if err := gojson.Unmarshal(b, &want); err != nil {
		t.Fatalf("read %s as %T, which goccy refuses: %v", b, got, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("read %s as\n%#v\ngoccy:\n%#v", b, got, want)
	}
}

// TestJSONColumnsFastPath checks that what PostgreSQL writes for the data
// set's columns takes the fast readers, and what they must not read does not.
func TestJSONColumnsFastPath(t *testing.T) {
	for _, tc := range []struct {
		text       string
		meta, link bool // read by readMetaTags, readLinks
		attrs      bool // read by readAttrs
	}{
		{`[]`, true, true, false},
		{`{}`, false, false, true},
		{`null`, false, false, false},
		{jsonColumnSeeds[3], true, false, false},
		{jsonColumnSeeds[4], true, false, false},
		{jsonColumnSeeds[5], true, false, false},
		{jsonColumnSeeds[6], true, false, false},
		{`[{"name": "n", "type": "Text", "value": null}]`, false, false, false},
		{`[{"name": "say \"hi\"", "type": "Text", "value": "x"}]`, false, false, false},
		{`[{"Name": "upper", "type": "Text", "value": "x"}]`, false, false, false},
		{`[{"name": "ünï", "type": "Text", "value": "x"}]`, true, false, false},
		{jsonColumnSeeds[12], false, true, false},
		{jsonColumnSeeds[14], false, false, true},
		{jsonColumnSeeds[15], false, false, true},
		{`{"a": null}`, false, false, false},
		{`[1]`, false, false, false},
	} {
		t.Run(tc.text, func(t *testing.T) {
			for _, c := range []struct {
				name string
				want bool
				ok   bool
			}{
				{"meta tags", tc.meta, ok(readMetaTags([]byte(tc.text)))},
				{"links", tc.link, ok(readLinks([]byte(tc.text)))},
				{"attrs", tc.attrs, ok(readAttrs([]byte(tc.text)))},
			} {
				if c.ok != c.want {
					t.Errorf("%s: read %v, want %v", c.name, c.ok, c.want)
				}
			}
			sameAsGoccy(t, []byte(tc.text), readMetaTags)
			sameAsGoccy(t, []byte(tc.text), readLinks)
			sameAsGoccy(t, []byte(tc.text), readAttrs)
		})
	}
}

func ok[T any](_ T, ok bool) bool { return ok }

// BenchmarkJSONColumns compares the fast readers with goccy on a service's
// columns as PostgreSQL writes them.
func BenchmarkJSONColumns(b *testing.B) {
	meta := []byte(`[{"name": "tier", "type": "Text", "value": "2"}, {"name": "owner", "type": "Nickname", "value": "scheduling-guild"}, {"name": "slack", "type": "Text", "value": "#scheduling-guild-alerts"}, {"name": "oncall", "type": "AutoMap", "value": "pagerduty:scheduling-guild"}]`)
	links := []byte(`[{"url": "https://docs.acme.example/services/streaming-api", "icon": "confluence", "title": "Docs"}, {"url": "https://github.com/acme/streaming-api", "icon": "github", "title": "Repository"}]`)
	attrs := []byte(`{"languages": ["Kotlin"], "lifecycle": "production", "repositoryPath": "/"}`)
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			var r entityRow
			if decodeColumn(meta, &r.MetaTags, readMetaTags) != nil || decodeColumn(links, &r.Links, readLinks) != nil ||
				decodeColumn(attrs, &r.Attrs, readAttrs) != nil {
				b.Fatal("decode")
			}
		}
	})
	b.Run("goccy", func(b *testing.B) {
		for b.Loop() {
			var r entityRow
			if gojson.Unmarshal(meta, &r.MetaTags) != nil || gojson.Unmarshal(links, &r.Links) != nil || gojson.Unmarshal(attrs, &r.Attrs) != nil {
				b.Fatal("decode")
			}
		}
	})
}
