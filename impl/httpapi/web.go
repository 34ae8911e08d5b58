package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/onbehalf/onbehalf/impl/apperr"
	"github.com/onbehalf/onbehalf/impl/databricks"
	"github.com/onbehalf/onbehalf/impl/lakebase"
	"github.com/onbehalf/onbehalf/impl/observe"
	"github.com/onbehalf/onbehalf/impl/reqctx"
)

// Longest is the most the server takes to handle a request, as its
// timeouts and retry policy make it: any API request but an invocation
// (LongestRequest), and an agent invocation (LongestInvocation).
type Longest struct {
	Request, Invocation time.Duration
}

// LongestRequest is the most an API request other than an invocation can
// take: one Databricks call (the user's identity, or a whole listing) and
// then one store operation (the preferences and inference-log endpoints).
func LongestRequest(user *databricks.UserClient, store *lakebase.Store) time.Duration {
	longest := user.LongestCall()
	if store != nil {
		longest += store.Timeout()
	}
	return longest
}

// withLongest returns index.html with longest in its head, as
// <meta name="onbehalf:longest-request-ms"> and
// <meta name="onbehalf:longest-invocation-ms">, which web/src/api.ts reads
// to wait as long as this server may take (its defaults assume the default
// timeouts; an operator who raises APP_INVOKE_TIMEOUT raises them too).
func withLongest(index []byte, longest Longest) []byte {
	var meta strings.Builder
	for _, m := range []struct {
		name string
		d    time.Duration
	}{{"longest-request-ms", longest.Request}, {"longest-invocation-ms", longest.Invocation}} {
		if m.d > 0 {
			fmt.Fprintf(&meta, `<meta name="onbehalf:%s" content="%d">`, m.name, m.d.Milliseconds())
		}
	}
	if meta.Len() == 0 {
		return index
	}
	head := bytes.Index(index, []byte("</head>"))
	if head < 0 {
		return index
	}
	return slices.Concat(index[:head], []byte(meta.String()), index[head:])
}

// webHandler serves the built front end: a file of site when the path names
// one, and index.html (with longest in it, see withLongest) for any other
// GET of a non-API path, so that the single-page app's own routes load on a
// refresh. API paths, paths under /_ (the demo proxy's, and any other
// tool's) and other methods keep the problem answers of the API.
func webHandler(site fs.FS, longest Longest, problems problemWriter) (http.Handler, error) {
	var index []byte
	if site != nil {
		var err error
		if index, err = fs.ReadFile(site, "index.html"); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		index = withLongest(index, longest)
	}
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
		case errors.Is(err, fs.ErrInvalid):
			// A name io/fs cannot hold (not UTF-8: GET /%FF) names no file
			// and no route of the app; an embed.FS says so with ErrInvalid.
			notFound(w, r)
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
			if index == nil {
				notFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-cache")
			_, _ = w.Write(index)
		default:
			problems.write(w, r, err)
		}
	}), nil
}
