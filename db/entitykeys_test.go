package db

import "testing"

// TestEntityKeys checks which lines of a file an import lets through to
// its COPY: the first of each key, as ON CONFLICT DO NOTHING keeps, where a
// skipped line claims no key.
func TestEntityKeys(t *testing.T) {
	svc := func(id, name string) *entityRow { return &entityRow{ID: id, Type: "service", Name: name} }
	res := func(id, key string) *entityRow {
		return &entityRow{ID: id, Type: "resource", Name: "same", Provider: "AWS", ProviderResourceKey: key}
	}
	for _, tc := range []struct {
		name string
		rows []*entityRow
		want []bool
	}{
		{"distinct", []*entityRow{svc("1", "a"), svc("2", "b"), res("3", "k")}, []bool{true, true, true}},
		{"a name in any ASCII case", []*entityRow{svc("1", "Api"), svc("2", "API")}, []bool{true, false}},
		{"an id in any case", []*entityRow{svc("ab", "a"), svc("AB", "b")}, []bool{true, false}},
		{"a name of another type", []*entityRow{svc("1", "a"), {ID: "2", Type: "library", Name: "a"}}, []bool{true, true}},
		{"resources share names, not identities", []*entityRow{res("1", "k"), res("2", "l"), res("3", "k")}, []bool{true, true, false}},
		{"a skipped line claims no key", []*entityRow{svc("1", "a"), svc("2", "A"), svc("2", "b")}, []bool{true, false, true}},
		// Left to the database, whose lower() may or may not fold them.
		{"non-ASCII names as written", []*entityRow{svc("1", "Été"), svc("2", "été"), svc("3", "Été")}, []bool{true, true, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keys := entityKeys{}
			for i, row := range tc.rows {
				if got := keys.add(row); got != tc.want[i] {
					t.Errorf("row %d (%s %q): add = %v, want %v", i, row.ID, row.Name, got, tc.want[i])
				}
			}
		})
	}
}
