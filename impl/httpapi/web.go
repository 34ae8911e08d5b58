package httpapi

import (
	"errors"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/onbehalf/onbehalf/impl/apperr"
	"github.com/onbehalf/onbehalf/impl/observe"
	"github.com/onbehalf/onbehalf/impl/reqctx"
)

// webHandler serves the built front end: a file of site when the path names
// one, and index.html for any other GET of a non-API path, so that the
// single-page app's own routes load on a refresh. API paths, paths under
// /_ (the demo proxy's, and any other tool's) and other methods keep the
// problem answers of the API.
func webHandler(site fs.FS, problems problemWriter) http.Handler {
	files := http.FileServerFS(site)
	notFound := func(w http.ResponseWriter, r *http.Request) {
		reqctx.MetaFrom(r.Context()).Route = observe.Unmatched
		problems.write(w, r, &apperr.Error{Kind: apperr.NotFound, Detail: "Nothing is served at this path.", Reason: "no_such_path"})
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if site == nil || (r.Method != http.MethodGet && r.Method != http.MethodHead) ||
			r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/_") {
			notFound(w, r)
			return
		}
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if name == "" {
			name = "index.html"
		}
		info, err := fs.Stat(site, name)
		switch {
		case err == nil && !info.IsDir() && name != "index.html":
			if strings.HasPrefix(name, "assets/") {
				// Vite names every asset by its content hash.
				w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
			}
			files.ServeHTTP(w, r)
		case err == nil || errors.Is(err, fs.ErrNotExist):
			if path.Ext(name) != "" && name != "index.html" {
				// A missing file (a stale asset, a typo) is a 404, not the app.
				notFound(w, r)
				return
			}
			index, err := fs.ReadFile(site, "index.html")
			if err != nil {
				notFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-cache")
			_, _ = w.Write(index)
		default:
			problems.write(w, r, err)
		}
	})
}
