package httpapi

import (
	"net/http"
	"path"
	"strings"

	"github.com/onbehalf/onbehalf/impl/apperr"
)

// refuseUncleanPaths answers a path with empty, "." or ".." segments
// ("/api/preferences/..", "/api/unity-catalog/catalogs//schemas") with a 404
// problem. http.ServeMux would instead redirect it (307, with an HTML body)
// to the cleaned path: another operation than the client named, reached
// by a traversal in a path parameter. A CONNECT in authority form
// (`CONNECT example.com:443`), which has no path at all, gets the 404
// problem of a path nothing is served at: ServeMux answered it with a
// plain-text 404.
func refuseUncleanPaths(problems problemWriter, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if p == "" && r.Method == http.MethodConnect {
			problems.notFound(w, r)
			return
		}
		if p != "" && r.Method != http.MethodConnect {
			clean := path.Clean(p)
			if strings.HasSuffix(p, "/") && clean != "/" {
				clean += "/"
			}
			if clean != p {
				problems.write(w, r, &apperr.Error{Kind: apperr.NotFound,
					Detail: "The path has empty, '.' or '..' segments: nothing is served at such a path.", Reason: "no_such_path"})
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// unescapedPath lets an API request's path be matched and validated as
// decoded. A client may escape characters that need no escaping in a path
// (the generated TypeScript client sends the preference key ui:theme as
// ui%3Atheme, through encodeURIComponent), and kin-openapi's router matches
// and checks path parameters on the escaped path, where ui%3Atheme breaks
// the key's pattern. The escaped form is dropped unless it escapes a slash:
// a%2Fb stays one segment holding a slash, which no parameter allows.
func unescapedPath(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.RawPath != "" && strings.Count(r.URL.RawPath, "/") == strings.Count(r.URL.Path, "/") {
			r2 := *r
			u := *r.URL
			u.RawPath = ""
			r2.URL = &u
			r = &r2
		}
		next.ServeHTTP(w, r)
	})
}
