package fakeworkspace

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Handler returns the workspace's HTTP handler.
func (w *Workspace) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/databricks-config", w.hostMetadata)
	mux.HandleFunc("GET /oidc/.well-known/oauth-authorization-server", w.oidcDiscovery)
	mux.HandleFunc("GET /oidc/v1/.well-known/oauth-authorization-server", w.oidcDiscovery)
	mux.HandleFunc("POST /oidc/v1/token", w.oauthToken)
	mux.HandleFunc("GET /api/2.0/preview/scim/v2/Me", w.auth(ScopeCurrentUser, w.me))
	mux.HandleFunc("GET /api/2.1/unity-catalog/catalogs", w.auth(ScopeCatalogs, w.listCatalogs))
	mux.HandleFunc("GET /api/2.1/unity-catalog/schemas", w.auth(ScopeSchemas, w.listSchemas))
	mux.HandleFunc("GET /api/2.1/unity-catalog/tables", w.auth(ScopeTables, w.listTables))
	mux.HandleFunc("GET /api/2.0/serving-endpoints", w.auth(ScopeServing, w.listEndpoints))
	mux.HandleFunc("GET /api/2.0/serving-endpoints/{name}", w.auth(ScopeServing, w.getEndpoint))
	mux.HandleFunc("POST /serving-endpoints/{name}/invocations", w.auth(ScopeServing, w.invoke))
	mux.HandleFunc("POST /api/2.0/database/credentials", w.auth("", w.databaseCredential))
	mux.HandleFunc("/", func(rw http.ResponseWriter, r *http.Request) {
		apiError(rw, http.StatusNotFound, "ENDPOINT_NOT_FOUND", "No API found for '"+r.Method+" "+r.URL.Path+"'")
	})
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		w.mu.Lock()
		holder := w.tokens[token].user
		if _, ok := w.tokens[token]; ok && holder == "" {
			holder = w.spID
		}
		w.log = append(w.log, Request{Time: time.Now(), Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Token: token, UserName: holder, Body: body})
		w.mu.Unlock()
		if f, ok := w.takeFault(r.Method, r.URL.Path, token); ok {
			if f.Delay > 0 {
				select {
				case <-time.After(f.Delay):
				case <-r.Context().Done():
					return
				}
			}
			if f.Reset {
				if hj, ok := rw.(http.Hijacker); ok {
					if conn, _, err := hj.Hijack(); err == nil {
						_ = conn.Close()
						return
					}
				}
			}
			if f.Status != 0 {
				if f.RetryAfter != "" {
					rw.Header().Set("Retry-After", f.RetryAfter)
				}
				apiError(rw, f.Status, errorCode(f.Status), "injected fault")
				return
			}
		}
		mux.ServeHTTP(rw, r)
	})
}

func errorCode(status int) string {
	switch status {
	case 429:
		return "REQUEST_LIMIT_EXCEEDED"
	case 503:
		return "TEMPORARILY_UNAVAILABLE"
	case 401:
		return "UNAUTHENTICATED"
	case 403:
		return "PERMISSION_DENIED"
	case 404:
		return "NOT_FOUND"
	}
	if status >= 500 {
		return "INTERNAL_ERROR"
	}
	return "BAD_REQUEST"
}

func apiError(rw http.ResponseWriter, status int, code, msg string) {
	writeJSON(rw, status, map[string]string{"error_code": code, "message": msg})
}

func writeJSON(rw http.ResponseWriter, status int, v any) {
	rw.Header().Set("Content-Type", "application/json")
	rw.WriteHeader(status)
	_ = json.NewEncoder(rw).Encode(v)
}

// caller is who made a request: a user name, or "" for the service principal.
type caller struct {
	userName string
	isSP     bool
}

// auth resolves the bearer token and enforces the scope, as the platform does.
func (w *Workspace) auth(scope string, next func(http.ResponseWriter, *http.Request, caller)) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		w.mu.Lock()
		info, known := w.tokens[token]
		w.mu.Unlock()
		if !ok || !known {
			apiError(rw, http.StatusUnauthorized, "UNAUTHENTICATED", "Invalid access token.")
			return
		}
		c := caller{userName: info.user, isSP: info.user == ""}
		if scope != "" && info.jwt && !c.isSP && !hasScope(info.scopes, scope) {
			apiError(rw, http.StatusForbidden, "PERMISSION_DENIED", "Invalid scope")
			return
		}
		next(rw, r, c)
	}
}

func hasScope(granted []string, need string) bool {
	if slices.Contains(granted, need) {
		return true
	}
	return need == ScopeServing && (slices.Contains(granted, "model-serving") || slices.Contains(granted, "serving"))
}

func (w *Workspace) granted(c caller, name string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return c.isSP || w.grants[c.userName][name]
}

func (w *Workspace) hostMetadata(rw http.ResponseWriter, r *http.Request) {
	base := "http://" + r.Host
	writeJSON(rw, http.StatusOK, map[string]any{"oidc_endpoint": base + "/oidc", "workspace_id": DefaultWorkspaceID, "cloud": "aws"})
}

func (w *Workspace) oidcDiscovery(rw http.ResponseWriter, r *http.Request) {
	base := "http://" + r.Host
	writeJSON(rw, http.StatusOK, map[string]string{"authorization_endpoint": base + "/oidc/v1/authorize", "token_endpoint": base + "/oidc/v1/token", "issuer": base + "/oidc"})
}

func (w *Workspace) oauthToken(rw http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok {
		_ = r.ParseForm()
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != w.spID || secret != w.spSec {
		writeJSON(rw, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	tok := "dosp" + randomHex(16)
	w.mu.Lock()
	w.tokens[tok] = tokenInfo{}
	w.mu.Unlock()
	writeJSON(rw, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3600})
}

func (w *Workspace) me(rw http.ResponseWriter, r *http.Request, c caller) {
	rw.Header().Set("X-Databricks-Org-Id", DefaultWorkspaceID)
	if c.isSP {
		writeJSON(rw, http.StatusOK, map[string]any{"id": "7777777777", "userName": w.spID, "displayName": w.spName, "active": true})
		return
	}
	w.mu.Lock()
	u := *w.users[c.userName]
	w.mu.Unlock()
	writeJSON(rw, http.StatusOK, map[string]any{
		"id": u.ID, "userName": u.UserName, "displayName": u.DisplayName, "active": true,
		"emails":  []map[string]any{{"value": u.UserName, "primary": true, "type": "work"}},
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
	})
}

// page cuts one page out of items for a Unity Catalog listing.
func (w *Workspace) page(rw http.ResponseWriter, r *http.Request, key string, items []map[string]any) {
	w.mu.Lock()
	size, empties := w.pageSize, w.emptyPages
	w.mu.Unlock()
	if m, err := strconv.Atoi(r.URL.Query().Get("max_results")); err == nil && m > 0 && m < size {
		size = m
	}
	tok := r.URL.Query().Get("page_token")
	empty := strings.HasPrefix(tok, "e")
	pos, err := 0, error(nil)
	if tok != "" {
		if pos, err = strconv.Atoi(strings.TrimPrefix(tok, "e")); err != nil || pos < 0 || pos > len(items) {
			apiError(rw, http.StatusBadRequest, "INVALID_PARAMETER_VALUE", "Invalid page token.")
			return
		}
	}
	out := map[string]any{key: []map[string]any{}}
	if empty {
		out["next_page_token"] = strconv.Itoa(pos)
		writeJSON(rw, http.StatusOK, out)
		return
	}
	end := min(pos+size, len(items))
	out[key] = items[pos:end]
	if end < len(items) {
		next := strconv.Itoa(end)
		if empties {
			next = "e" + next
		}
		out["next_page_token"] = next
	}
	writeJSON(rw, http.StatusOK, out)
}

func (w *Workspace) listCatalogs(rw http.ResponseWriter, r *http.Request, c caller) {
	w.mu.Lock()
	var items []map[string]any
	for _, name := range sortedKeys(w.catalogs) {
		if c.isSP || w.grants[c.userName][name] {
			items = append(items, map[string]any{"name": name, "catalog_type": "MANAGED_CATALOG", "owner": "admins", "comment": w.catalogs[name].Comment, "full_name": name})
		}
	}
	w.mu.Unlock()
	w.page(rw, r, "catalogs", items)
}

// catalogFor checks that the caller may use the catalog.
func (w *Workspace) catalogFor(rw http.ResponseWriter, c caller, name string) (*Catalog, bool) {
	w.mu.Lock()
	cat := w.catalogs[name]
	w.mu.Unlock()
	if cat == nil {
		apiError(rw, http.StatusNotFound, "CATALOG_DOES_NOT_EXIST", fmt.Sprintf("Catalog '%s' does not exist.", name))
		return nil, false
	}
	if !w.granted(c, name) {
		apiError(rw, http.StatusForbidden, "PERMISSION_DENIED", fmt.Sprintf("User does not have USE CATALOG on Catalog '%s'.", name))
		return nil, false
	}
	return cat, true
}

func (w *Workspace) listSchemas(rw http.ResponseWriter, r *http.Request, c caller) {
	name := r.URL.Query().Get("catalog_name")
	cat, ok := w.catalogFor(rw, c, name)
	if !ok {
		return
	}
	var items []map[string]any
	for _, s := range sortedKeys(cat.Schemas) {
		items = append(items, map[string]any{"name": s, "catalog_name": name, "full_name": name + "." + s, "owner": "admins"})
	}
	w.page(rw, r, "schemas", items)
}

func (w *Workspace) listTables(rw http.ResponseWriter, r *http.Request, c caller) {
	catName, schemaName := r.URL.Query().Get("catalog_name"), r.URL.Query().Get("schema_name")
	cat, ok := w.catalogFor(rw, c, catName)
	if !ok {
		return
	}
	tables, ok := cat.Schemas[schemaName]
	if !ok {
		apiError(rw, http.StatusNotFound, "SCHEMA_DOES_NOT_EXIST", fmt.Sprintf("Schema '%s.%s' does not exist.", catName, schemaName))
		return
	}
	var items []map[string]any
	for _, t := range tables {
		items = append(items, map[string]any{"name": t.Name, "catalog_name": catName, "schema_name": schemaName,
			"full_name": catName + "." + schemaName + "." + t.Name, "table_type": t.TableType, "data_source_format": t.Format, "owner": "admins"})
	}
	w.page(rw, r, "tables", items)
}

func endpointJSON(e *Endpoint) map[string]any {
	return map[string]any{"name": e.Name, "id": "ep-" + e.Name, "task": e.Task, "creator": e.Creator,
		"state": map[string]string{"ready": e.Ready, "config_update": e.ConfigUpdate}, "creation_timestamp": 1700000000000}
}

func (w *Workspace) listEndpoints(rw http.ResponseWriter, r *http.Request, c caller) {
	w.mu.Lock()
	items := []map[string]any{}
	for _, name := range sortedKeys(w.endpoints) {
		if c.isSP || w.grants[c.userName][name] {
			items = append(items, endpointJSON(w.endpoints[name]))
		}
	}
	w.mu.Unlock()
	writeJSON(rw, http.StatusOK, map[string]any{"endpoints": items})
}

// endpointFor checks that the caller may use the endpoint.
func (w *Workspace) endpointFor(rw http.ResponseWriter, c caller, name string) (*Endpoint, bool) {
	w.mu.Lock()
	e := w.endpoints[name]
	w.mu.Unlock()
	if e == nil {
		apiError(rw, http.StatusNotFound, "RESOURCE_DOES_NOT_EXIST", fmt.Sprintf("Endpoint with name '%s' does not exist.", name))
		return nil, false
	}
	if !w.granted(c, name) {
		apiError(rw, http.StatusForbidden, "PERMISSION_DENIED", fmt.Sprintf("User does not have permission to query endpoint '%s'.", name))
		return nil, false
	}
	return e, true
}

func (w *Workspace) getEndpoint(rw http.ResponseWriter, r *http.Request, c caller) {
	if e, ok := w.endpointFor(rw, c, r.PathValue("name")); ok {
		writeJSON(rw, http.StatusOK, endpointJSON(e))
	}
}

// invoke answers in the Agent Framework (Responses API) shape, and refuses
// the chat `messages` shape as agent endpoints do.
func (w *Workspace) invoke(rw http.ResponseWriter, r *http.Request, c caller) {
	if _, ok := w.endpointFor(rw, c, r.PathValue("name")); !ok {
		return
	}
	var req struct {
		Input []struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"input"`
		CustomInputs map[string]any `json:"custom_inputs"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Input) == 0 {
		apiError(rw, http.StatusBadRequest, "BAD_REQUEST", `Model is missing inputs ["input"]. Note that inputs with extra fields, such as "messages", are not accepted by agent endpoints.`)
		return
	}
	last := req.Input[len(req.Input)-1].Content
	out := map[string]any{
		"id": "resp_" + randomHex(6), "object": "response",
		"output": []map[string]any{{"type": "message", "id": "msg_" + randomHex(6), "role": "assistant", "status": "completed",
			"content": []map[string]any{{"type": "output_text", "text": "Echo for " + c.userName + ": " + last}}}},
	}
	if req.CustomInputs != nil {
		out["custom_outputs"] = req.CustomInputs
	}
	writeJSON(rw, http.StatusOK, out)
}

// databaseCredential issues Lakebase credentials to the service principal only.
func (w *Workspace) databaseCredential(rw http.ResponseWriter, r *http.Request, c caller) {
	if !c.isSP {
		apiError(rw, http.StatusForbidden, "PERMISSION_DENIED", "Only the app's service principal may ask for database credentials here.")
		return
	}
	var req struct {
		InstanceNames []string `json:"instance_names"`
	}
	_ = json.NewDecoder(r.Body).Decode(&req)
	cred := DatabaseCredential{Token: "dbcred-" + randomHex(16), ExpiresAt: time.Now().Add(time.Hour).UTC(), Instances: req.InstanceNames}
	w.mu.Lock()
	w.dbCreds = append(w.dbCreds, cred)
	w.mu.Unlock()
	writeJSON(rw, http.StatusOK, map[string]string{"token": cred.Token, "expiration_time": cred.ExpiresAt.Format(time.RFC3339)})
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
