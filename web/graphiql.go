package web

import (
	"embed"
	"io/fs"
	"net/http"
)

// assets holds the GraphiQL page and its scripts, from the npm packages
// graphiql@3.9.0, react@18.3.1 and react-dom@18.3.1 (UMD builds; licenses
// beside them), so the playground works with no network.
//
//go:embed assets
var assets embed.FS

func graphiQLPage() http.Handler {
	page, err := assets.ReadFile("assets/index.html")
	if err != nil {
		panic(err) // embedded at build time
	}
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:")
		_, _ = w.Write(page)
	})
}

func graphiQLAssets() http.Handler {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err)
	}
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	})
}
