package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"cartograph/internal/chromium"
)

var (
	bodyState = regexp.MustCompile(`data-state="(\w+)"`)
	bodyNodes = regexp.MustCompile(`data-nodes="(\d+)"`)
)

// TestGraphPageInChromium seeds a small graph and opens /graph in a real
// headless Chromium that can reach nothing but this server: the page must
// fetch the neighbourhood over GraphQL with the key from its URL fragment
// and draw exactly the entities within the asked depth and labels. A
// screenshot is kept in the test's artifacts (go test -artifacts).
func TestGraphPageInChromium(t *testing.T) {
	c := newCatalogClient(t, "graphpage")
	id := map[string]string{}
	for _, n := range []string{"checkout", "payments", "ledger", "fraud", "ml", "island"} {
		id[n] = c.create(t, "service", fmt.Sprintf(`{"name":%q}`, n))["id"].(string)
	}
	id["prod"] = c.create(t, "environment", `{"name":"prod"}`)["id"].(string)
	for _, r := range [][3]string{
		{"checkout", "depends_on", "payments"}, {"checkout", "depends_on", "ledger"},
		{"payments", "depends_on", "fraud"}, {"fraud", "depends_on", "ml"}, {"ledger", "has_environment", "prod"},
	} {
		c.must(t, http.StatusCreated, "POST", "/public/v1/catalog/relations",
			fmt.Sprintf(`{"sourceEntityId":%q,"targetEntityId":%q,"label":%q}`, id[r[0]], id[r[2]], r[1]))
	}

	page := func(query string) string { return c.srv.url + "/graph?" + query + "#key=" + c.key }
	for _, tc := range []struct {
		name, query string
		nodes       int // checkout, then payments and ledger, then fraud and prod, then ml
	}{
		{"default depth 2, every label", "root=" + id["checkout"], 5},
		{"depth 3", "root=" + id["checkout"] + "&depth=3", 6},
		{"depends_on only", "root=" + id["checkout"] + "&labels=depends_on", 4},
		{"from the middle, both ways", "root=" + id["payments"] + "&depth=1", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dom := chromium.Run(t, page(tc.query), "--dump-dom")
			state, nodes := renderState(dom)
			if state != "rendered" || nodes != fmt.Sprint(tc.nodes) {
				t.Fatalf("page state %q with %s nodes, want rendered with %d\n%.1500s", state, nodes, tc.nodes, dom)
			}
			if !strings.Contains(dom, "<canvas") {
				t.Error("Cytoscape drew no canvas")
			}
		})
	}

	t.Run("no key asks for one", func(t *testing.T) {
		dom := chromium.Run(t, c.srv.url+"/graph?root="+id["checkout"], "--dump-dom")
		if !strings.Contains(dom, `data-state="error"`) || strings.Contains(dom, `id="key-form" hidden`) {
			t.Errorf("without a key the page must show the key form\n%.1500s", dom)
		}
	})
	t.Run("unknown root shows the API's error", func(t *testing.T) {
		dom := chromium.Run(t, page("root=00000000-0000-4000-8000-000000000000"), "--dump-dom")
		if !strings.Contains(dom, `data-state="error"`) || !strings.Contains(dom, "NOT_FOUND") {
			t.Errorf("an unknown root must show NOT_FOUND\n%.1500s", dom)
		}
	})

	shot := filepath.Join(t.ArtifactDir(), "graph.png")
	chromium.Run(t, page("root="+id["checkout"]+"&depth=3"), "--window-size=1000,700", "--screenshot="+shot)
	if st, err := os.Stat(shot); err != nil || st.Size() < 5000 {
		t.Fatalf("no screenshot: %v", err)
	}
	t.Logf("screenshot: %s", shot)
}

// renderState reads the page's data-state and data-nodes off its body
// ("" for one it lacks).
func renderState(dom string) (state, nodes string) {
	if m := bodyState.FindStringSubmatch(dom); m != nil {
		state = m[1]
	}
	if m := bodyNodes.FindStringSubmatch(dom); m != nil {
		nodes = m[1]
	}
	return state, nodes
}
