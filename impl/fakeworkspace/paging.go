package fakeworkspace

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
)

// pageCursor is what a Unity Catalog page token stands for. Tokens are
// opaque to clients (base64 of this), and name their listing so that a token
// of another listing is refused, as the real API refuses it.
type pageCursor struct {
	Listing string `json:"l"`
	Offset  int    `json:"o"`
	// Empty marks the empty page the fake can put between two pages.
	Empty bool `json:"e,omitempty"`
}

func (c pageCursor) token() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func parsePageToken(tok, listing string, n int) (pageCursor, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return pageCursor{}, false
	}
	var c pageCursor
	if json.Unmarshal(b, &c) != nil || c.Listing != listing || c.Offset < 0 || c.Offset > n {
		return pageCursor{}, false
	}
	return c, true
}

// writePage answers a listing request with one page of items, under key
// ("catalogs", "schemas", "tables", "database_instances"), the way the real
// API pages, with the page size asked for in sizeParam (max_results in Unity
// Catalog, page_size for database instances):
//
//   - sizeParam absent or 0: pages of the server's size;
//   - sizeParam > 0: pages of min(sizeParam, the server's size);
//   - sizeParam < 0, or a page token that is not one of this listing's:
//     400 INVALID_PARAMETER_VALUE.
//
// next_page_token is absent on the last page. With empty pages on, an empty
// page carrying a next_page_token follows every page with items, and the
// listing ends with an empty page.
//
// The real API's deprecated unpaginated mode (everything at once when
// max_results is absent) is not modelled on purpose: SDK v0.130.0 never
// sends max_results=0 (its query encoder drops zero values despite
// ForceSendFields), so that mode would hide missing paging in callers, and
// Databricks is retiring it.
func (w *Workspace) writePage(rw http.ResponseWriter, r *http.Request, sizeParam, key, listing string, items []any) {
	w.mu.Lock()
	size, emptyPages := w.pageSize, w.emptyPages
	w.mu.Unlock()

	q := r.URL.Query()
	if q.Has(sizeParam) {
		m, err := strconv.Atoi(q.Get(sizeParam))
		if err != nil || m < 0 {
			writeError(rw, http.StatusBadRequest, "INVALID_PARAMETER_VALUE", sizeParam+" must be greater than or equal to 0.")
			return
		}
		if m > 0 {
			size = min(size, m)
		}
	}
	var cur pageCursor
	if tok := q.Get("page_token"); tok != "" {
		var ok bool
		if cur, ok = parsePageToken(tok, listing, len(items)); !ok {
			writeError(rw, http.StatusBadRequest, "INVALID_PARAMETER_VALUE", "Invalid page token: "+tok)
			return
		}
	}
	out := map[string]any{key: []any{}}
	if cur.Empty {
		if cur.Offset < len(items) {
			out["next_page_token"] = pageCursor{Listing: listing, Offset: cur.Offset}.token()
		}
		writeJSON(rw, http.StatusOK, out)
		return
	}
	end := min(cur.Offset+size, len(items))
	out[key] = items[cur.Offset:end]
	switch {
	case emptyPages && end > cur.Offset:
		out["next_page_token"] = pageCursor{Listing: listing, Offset: end, Empty: true}.token()
	case end < len(items):
		out["next_page_token"] = pageCursor{Listing: listing, Offset: end}.token()
	}
	writeJSON(rw, http.StatusOK, out)
}
