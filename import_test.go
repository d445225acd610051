package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestImportCommand generates a small catalog with the shared generator and
// loads it with `cartograph import`: a line per phase, and counts that add up
// to manifest.json's (imported + skipped), or the command fails.
func TestImportCommand(t *testing.T) {
	dir := t.TempDir()
	generateCatalog(t, dir, "0.05", "3")
	p := newServerProcess(t)
	out, err := p.command("import", "--dir", dir, "--org", "bench").CombinedOutput()
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
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
