package db

import "testing"

// TestEntityKeys checks which lines of a file an import lets through to
// its COPY: the first of each key, as ON CONFLICT DO NOTHING keeps, where a
// skipped line claims no key; and the rule it reports for the others
// ("" lets a line through).
func TestEntityKeys(t *testing.T) {
	svc := func(id, name string) *entityRow { return &entityRow{ID: id, Type: "service", Name: name} }
	res := func(id, key string) *entityRow {
		return &entityRow{ID: id, Type: "resource", Name: "same", Provider: "AWS", ProviderResourceKey: key}
	}
	for _, tc := range []struct {
		name string
		rows []*entityRow
		want []string
	}{
		{"distinct", []*entityRow{svc("1", "a"), svc("2", "b"), res("3", "k")}, []string{"", "", ""}},
		{"a name in any ASCII case", []*entityRow{svc("1", "Api"), svc("2", "API")}, []string{"", RuleName}},
		{"an id in any case", []*entityRow{svc("ab", "a"), svc("AB", "b")}, []string{"", RuleID}},
		{"a name of another type", []*entityRow{svc("1", "a"), {ID: "2", Type: "library", Name: "a"}}, []string{"", ""}},
		{"resources share names, not identities", []*entityRow{res("1", "k"), res("2", "l"), res("3", "k")}, []string{"", "", RuleIdentity}},
		{"a skipped line claims no key", []*entityRow{svc("1", "a"), svc("2", "A"), svc("2", "b")}, []string{"", RuleName, ""}},
		// Left to the database, whose lower() may or may not fold them.
		{"non-ASCII names as written", []*entityRow{svc("1", "Été"), svc("2", "été"), svc("3", "Été")}, []string{"", "", RuleName}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keys := entityKeys{}
			for i, row := range tc.rows {
				if got := keys.add(row); got != tc.want[i] {
					t.Errorf("row %d (%s %q): add = %q, want %q", i, row.ID, row.Name, got, tc.want[i])
				}
			}
		})
	}
}
