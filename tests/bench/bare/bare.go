// Package bare is the least a Go server can do to answer
// GET /api/unity-catalog/catalogs on behalf of a user: read the header, make
// the one upstream call with the token, and turn Databricks' page into ours.
// No routing, contract validation, scope check, problem answers,
// correlation id or log line. It is the yardstick of the benchmarks
// (docs/BENCHMARKS.md): the limit for a server of this shape.
package bare

import (
	"encoding/json"
	"net/http"

	"github.com/onbehalf/onbehalf/gen/api"
)

// Handler answers GET /api/unity-catalog/catalogs (whatever the path) with
// the first 50 catalogs of the user whose token is in
// X-Forwarded-Access-Token, from host's Unity Catalog API through client.
func Handler(host string, client *http.Client) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := r.Header.Get("X-Forwarded-Access-Token")
		if token == "" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, host+"/api/2.1/unity-catalog/catalogs?max_results=51", nil)
		if err != nil {
			http.Error(w, "bad host", http.StatusInternalServerError)
			return
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			http.Error(w, "upstream", http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		var page struct {
			Catalogs []struct {
				Name        string `json:"name"`
				Comment     string `json:"comment"`
				Owner       string `json:"owner"`
				CatalogType string `json:"catalog_type"`
			} `json:"catalogs"`
		}
		if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&page) != nil {
			http.Error(w, "upstream", http.StatusBadGateway)
			return
		}
		out := api.CatalogPage{Items: make([]api.Catalog, len(page.Catalogs)), Limit: 50}
		for i, c := range page.Catalogs {
			out.Items[i] = api.Catalog{Name: c.Name, Comment: opt(c.Comment), Owner: opt(c.Owner), CatalogType: opt(c.CatalogType)}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	})
}

func opt(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
