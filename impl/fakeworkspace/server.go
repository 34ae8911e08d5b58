package fakeworkspace

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// Handler returns the workspace's REST API. Every request is logged, then
// faults apply, then it is served.
func (w *Workspace) Handler() http.Handler {
	mux := http.NewServeMux()
	// Routes are registered without a method so that a wrong method gets the
	// JSON 404 Databricks answers rather than the mux's plain-text 405.
	route := func(method, pattern string, h http.HandlerFunc) {
		mux.HandleFunc(pattern, func(rw http.ResponseWriter, r *http.Request) {
			if r.Method != method {
				notFound(rw, r)
				return
			}
			h(rw, r)
		})
	}
	route(http.MethodGet, "/.well-known/databricks-config", w.hostMetadata)
	route(http.MethodGet, "/oidc/.well-known/oauth-authorization-server", w.oidcDiscovery)
	route(http.MethodGet, "/oidc/v1/.well-known/oauth-authorization-server", w.oidcDiscovery)
	route(http.MethodPost, tokenPath, w.oauthToken)
	route(http.MethodGet, "/api/2.0/preview/scim/v2/Me", w.authed(ScopeCurrentUser, w.me))
	route(http.MethodGet, "/api/2.1/unity-catalog/catalogs", w.authed(ScopeCatalogs, w.listCatalogs))
	route(http.MethodGet, "/api/2.1/unity-catalog/schemas", w.authed(ScopeSchemas, w.listSchemas))
	route(http.MethodGet, "/api/2.1/unity-catalog/tables", w.authed(ScopeTables, w.listTables))
	route(http.MethodGet, "/api/2.0/serving-endpoints", w.authed(ScopeServing, w.listEndpoints))
	route(http.MethodGet, "/api/2.0/serving-endpoints/{name}", w.authed(ScopeServing, w.getEndpoint))
	route(http.MethodPost, "/serving-endpoints/{name}/invocations", w.authed(ScopeServing, w.invoke))
	route(http.MethodGet, "/api/2.0/database/instances", w.authed("", w.listDatabaseInstances))
	route(http.MethodPost, "/api/2.0/database/credentials", w.authed("", w.databaseCredential))
	route(http.MethodPost, "/api/2.0/postgres/credentials", w.authed("", w.postgresCredential))
	mux.HandleFunc("/", notFound)

	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		// The body is read up front: the log keeps it, and a connection
		// reset must not race a half-read request.
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return // the client went away mid-request
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		token := bearerToken(r)
		w.record(r, token, body)
		if f, ok := w.takeFault(r.Method, r.URL.Path, token); ok && applyFault(rw, r, f) {
			return
		}
		mux.ServeHTTP(rw, r)
	})
}

// bearerToken returns the token of an "Authorization: Bearer" header.
func bearerToken(r *http.Request) string {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// caller is who made an authenticated request.
type caller struct {
	// name is the user name, or the service principal's client id.
	name             string
	servicePrincipal bool
}

// authed authenticates a request by its bearer token and checks that the
// token carries scope, the way the platform does before any API sees it.
func (w *Workspace) authed(scope string, next func(http.ResponseWriter, *http.Request, caller)) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		token := bearerToken(r)
		if token == "" {
			writeError(rw, http.StatusUnauthorized, "UNAUTHENTICATED",
				"Credential was not sent or was of an unsupported type for this API.")
			return
		}
		w.mu.Lock()
		info, ok := w.lookupToken(token)
		w.mu.Unlock()
		if !ok {
			writeError(rw, http.StatusUnauthorized, "UNAUTHENTICATED", "Invalid access token.")
			return
		}
		if !info.allows(scope) {
			writeError(rw, http.StatusForbidden, "PERMISSION_DENIED", "Invalid scope")
			return
		}
		// The SDK's CurrentWorkspaceID reads this header.
		rw.Header().Set("X-Databricks-Org-Id", DefaultWorkspaceID)
		next(rw, r, caller{name: info.principal, servicePrincipal: info.servicePrincipal})
	}
}

func notFound(rw http.ResponseWriter, r *http.Request) {
	writeError(rw, http.StatusNotFound, "ENDPOINT_NOT_FOUND", "No API found for '"+r.Method+" "+r.URL.Path+"'")
}

// apiError is a Databricks error answer.
type apiError struct {
	status        int
	code, message string
}

func (e *apiError) write(rw http.ResponseWriter) { writeError(rw, e.status, e.code, e.message) }

// writeError answers with a Databricks error body, which the SDK's apierr
// package parses into an *apierr.APIError.
func writeError(rw http.ResponseWriter, status int, code, message string) {
	writeJSON(rw, status, map[string]string{"error_code": code, "message": message})
}

func writeJSON(rw http.ResponseWriter, status int, v any) {
	rw.Header().Set("Content-Type", "application/json")
	rw.WriteHeader(status)
	_ = json.NewEncoder(rw).Encode(v)
}

// baseURL is the URL the client reached the fake at, for the URLs in
// discovery documents.
func baseURL(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

// Server is a fake workspace served on a real port.
type Server struct {
	// URL is the base URL, e.g. http://127.0.0.1:41234, to use as the
	// Databricks host.
	URL string
	srv *http.Server
}

// Start serves the workspace's REST API on a free loopback port until Close.
func (w *Workspace) Start() (*Server, error) {
	return Serve("127.0.0.1:0", w.Handler())
}

// Serve serves h on addr ("host:port"; port 0 picks a free one) until Close
// or Shutdown.
func Serve(addr string, h http.Handler) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{URL: "http://" + ln.Addr().String(), srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the server at once, dropping requests in flight.
func (s *Server) Close() error { return s.srv.Close() }

// Shutdown stops the server once the requests in flight are answered, or
// when ctx ends.
func (s *Server) Shutdown(ctx context.Context) error { return s.srv.Shutdown(ctx) }
