package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"cartograph/db"
)

// TestImportCommand generates a small catalog with the shared generator and
// loads it with `cartograph import`: a line per phase, and counts that add up
// to manifest.json's (imported + skipped), or the command fails.
func TestImportCommand(t *testing.T) {
	dir := t.TempDir()
	generateCatalog(t, dir, "0.05", "3")
	p := newServerProcess(t)
	refused := filepath.Join(t.TempDir(), "refused.ndjson")
	out, err := p.command("import", "--dir", dir, "--org", "bench", "--refused", refused).CombinedOutput()
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	// Every skipped entity line is in the --refused file, one line each.
	m := regexp.MustCompile(`(?m)^entities +\d+ rows +(\d+) skipped`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no entities line:\n%s", out)
	}
	raw, err := os.ReadFile(refused)
	if n := strconv.Itoa(strings.Count(string(raw), "\n")); err != nil || n != string(m[1]) {
		t.Errorf("%s holds %s lines (%v); the import skipped %s entities", refused, n, err, m[1])
	}
	// A --refused path that cannot be written stops the import before it
	// starts: nothing is imported into the org.
	bad, err := p.command("import", "--dir", dir, "--org", "elsewhere", "--refused", filepath.Join(dir, "no", "such", "dir")).CombinedOutput()
	if err == nil || strings.Contains(string(bad), "imported into") {
		t.Errorf("import with an unwritable --refused: %v\n%s", err, bad)
	}
	for _, phase := range []string{"entities", "relations", "costs"} {
		if !regexp.MustCompile(`(?m)^` + phase + ` +\d+ rows +\d+ skipped +[\d.]+s +\d+ rows/s$`).Match(out) {
			t.Errorf("no progress line for %s:\n%s", phase, out)
		}
	}
	if !strings.Contains(string(out), "manifest  imported") {
		t.Errorf("no comparison with manifest.json:\n%s", out)
	}
	t.Logf("%s", out)
}

// TestReportRefused checks what `import` tells an operator about the entity
// lines it skipped: a count per type and rule, and with --refused every
// line as NDJSON, in file order.
func TestReportRefused(t *testing.T) {
	refused := []db.RefusedEntity{
		{Line: 4, ID: "a", Type: "person", Name: "Ann Lee", Rule: db.RuleName},
		{Line: 9, ID: "b", Type: "resource", Name: "logs", Rule: db.RuleIdentity},
		{Line: 12, ID: "c", Type: "person", Name: "Bo Kim", Rule: db.RuleName},
	}
	path := filepath.Join(t.TempDir(), "refused.ndjson")
	list, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer list.Close()
	var out bytes.Buffer
	if err := reportRefused(&out, refused, list); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{`person +name taken +2`, `resource +resource identity taken +1`, `listed in ` + regexp.QuoteMeta(path)} {
		if !regexp.MustCompile(line).Match(out.Bytes()) {
			t.Errorf("summary lacks %q:\n%s", line, out.String())
		}
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got []db.RefusedEntity
	for _, l := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var r db.RefusedEntity
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		got = append(got, r)
	}
	if !slices.Equal(got, refused) {
		t.Errorf("file holds %+v, want %+v", got, refused)
	}
	out.Reset()
	if err := reportRefused(&out, nil, list); err != nil || out.Len() > 0 {
		t.Errorf("nothing refused: %q, %v; want no output", out.String(), err)
	}
}
