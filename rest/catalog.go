package rest

import (
	"net/http"

	"cartograph/cartograph"
	"cartograph/db"
)

// Catalog returns the Configure8-compatible API mounted at /public/v1/.
func Catalog(store *db.DB) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		WriteCatalogError(w, r, cartograph.Errorf(cartograph.NotFound, "Cannot %s %s", r.Method, r.URL.Path))
	})
	return mux
}
