package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"html"
	"io/fs"
	"net/http"
	"strings"

	"cartograph/cartograph"
)

// assets holds the GraphiQL page and its scripts, from the npm packages
// graphiql@3.9.0, react@18.3.1 and react-dom@18.3.1 (UMD builds), and the
// graph page with cytoscape@3.34.4 (licenses beside them), so both pages work
// with no network.
//
//go:embed assets
var assets embed.FS

func graphiQLPage() http.Handler { return page("assets/index.html", nil) }

// graphPage is /graph: the relation neighbourhood of ?root=<id>, drawn by
// assets/graph/graph.js from the GraphQL graph query. The page holds no
// data, so like GraphiQL it needs no key; its request to /graphql does.
func graphPage() http.Handler {
	labels, err := json.Marshal(cartograph.RelationLabels)
	if err != nil {
		panic(err)
	}
	return page("assets/graph/index.html", map[string]string{"{{LABELS}}": html.EscapeString(string(labels))})
}

// page serves an embedded HTML file, with fill's placeholders replaced, under
// a policy that lets it load scripts and styles from this server only.
func page(name string, fill map[string]string) http.Handler {
	b, err := assets.ReadFile(name)
	if err != nil {
		panic(err) // embedded at build time
	}
	for k, v := range fill {
		b = bytes.ReplaceAll(b, []byte(k), []byte(v))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:")
		_, _ = w.Write(b)
	})
}

// assetFiles serves the pages' scripts and styles; folders and the HTML
// templates themselves are not files to fetch.
func assetFiles() http.Handler {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err)
	}
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") || strings.HasSuffix(r.URL.Path, ".html") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	})
}
