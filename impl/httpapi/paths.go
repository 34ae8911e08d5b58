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
// by a traversal in a path parameter.
func refuseUncleanPaths(problems problemWriter, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
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
