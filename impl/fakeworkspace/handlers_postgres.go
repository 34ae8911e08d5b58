package fakeworkspace

import (
	"encoding/json"
	"net/http"
	"time"
)

// PostgresEndpoint is a Lakebase Autoscaling endpoint, the access point of
// a branch of a project. Databricks Apps gives an app its host as PGHOST and,
// through app.yaml's valueFrom, its Name as LAKEBASE_ENDPOINT, which is what
// credentials are asked for.
type PostgresEndpoint struct {
	// Name is the endpoint's resource path,
	// projects/{project}/branches/{branch}/endpoints/{endpoint}.
	Name string
	// Host is the host the endpoint is reached at
	// (ep-<words>-<id>.database.<region>.cloud.databricks.com).
	Host string
}

// AddPostgresEndpoint adds a Lakebase Autoscaling endpoint, or replaces the
// one with the same name. Credentials are issued only for the endpoints
// added.
func (w *Workspace) AddPostgresEndpoint(ep PostgresEndpoint) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pgEndpoints[ep.Name] = ep
}

// postgresCredential issues a Lakebase Autoscaling credential
// (postgres.DatabaseCredential: token and expire_time) for an endpoint, to
// the service principal only, as databaseCredential does for an instance.
// It is kept with the instances' credentials, so that DatabaseCredentials,
// ValidDatabaseCredential and ExpireDatabaseCredentials treat both alike:
// Lakebase checks either the same way at login.
func (w *Workspace) postgresCredential(rw http.ResponseWriter, r *http.Request, c caller) {
	if !servicePrincipalOnly(rw, c) {
		return
	}
	var req struct {
		Endpoint string          `json:"endpoint"`
		Claims   json.RawMessage `json:"claims"` // accepted, not modelled
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(rw, http.StatusBadRequest, "INVALID_PARAMETER_VALUE", "Invalid JSON in the request body: "+err.Error())
		return
	}
	if req.Endpoint == "" {
		writeError(rw, http.StatusBadRequest, "INVALID_PARAMETER_VALUE", "endpoint must name a database endpoint.")
		return
	}
	w.mu.Lock()
	_, ok := w.pgEndpoints[req.Endpoint]
	w.mu.Unlock()
	if !ok {
		writeError(rw, http.StatusNotFound, "RESOURCE_DOES_NOT_EXIST", "Endpoint '"+req.Endpoint+"' does not exist.")
		return
	}
	cred := w.issueCredential(c, DatabaseCredential{Endpoint: req.Endpoint})
	writeJSON(rw, http.StatusOK, map[string]string{"token": cred.Token, "expire_time": cred.ExpiresAt.Format(time.RFC3339)})
}
