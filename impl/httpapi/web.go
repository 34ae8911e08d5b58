package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
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
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if site == nil || (r.Method != http.MethodGet && r.Method != http.MethodHead) ||
			r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/_") {
			problems.notFound(w, r)
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
			problems.notFound(w, r)
		case err == nil && !info.IsDir() && name != "index.html":
			if strings.HasPrefix(name, "assets/") {
				// Vite names every asset by its content hash.
				w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
			}
			files.ServeHTTP(w, r)
		case err == nil || errors.Is(err, fs.ErrNotExist):
			if path.Ext(name) != "" && name != "index.html" {
				// A missing file (a stale asset, a typo) is a 404, not the app.
				problems.notFound(w, r)
				return
			}
			if index == nil {
				problems.notFound(w, r)
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

// notFound answers r with the 404 problem of a path that nothing is served
// at, reported under observe.Unmatched.
func (p problemWriter) notFound(w http.ResponseWriter, r *http.Request) {
	reqctx.MetaFrom(r.Context()).Route = observe.Unmatched
	p.write(w, r, &apperr.Error{Kind: apperr.NotFound, Detail: "Nothing is served at this path.", Reason: "no_such_path"})
}

// assetHandler serves the regular files of site at their names after
// prefix (the Swagger UI's script, style sheet and icon), as webHandler
// serves the front end's: anything else, a directory or a name that is
// missing or invalid (not UTF-8), is a 404 problem. http.FileServerFS
// answered those with text/plain, an HTML directory listing or a redirect
// (any path ending in /index.html).
func assetHandler(site fs.FS, prefix string, problems problemWriter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, prefix)
		info, err := fs.Stat(site, name)
		switch {
		case err == nil && info.Mode().IsRegular():
			f, err := site.Open(name)
			if err != nil {
				problems.write(w, r, err)
				return
			}
			defer f.Close()
			content, ok := f.(io.ReadSeeker)
			if !ok {
				problems.write(w, r, fmt.Errorf("asset %s cannot seek", name))
				return
			}
			http.ServeContent(w, r, name, info.ModTime(), content)
		case err == nil || errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid):
			problems.notFound(w, r)
		default:
			problems.write(w, r, err)
		}
	})
}
