package fakeworkspace

import (
	"encoding/json"
	"net/http"
	"slices"
	"time"
)

// DatabaseInstance is a Lakebase database instance. Databricks Apps gives an
// app its instance's DNS name as PGHOST, while the credentials API wants the
// instance's name: only the listing ties the two together.
type DatabaseInstance struct {
	Name string
	// UID is the instance's id; AddDatabaseInstance makes one when empty.
	UID string
	// ReadWriteDNS is the host the instance is reached at;
	// instance-<UID>.database.cloud.databricks.com when empty, as on
	// Lakebase Provisioned.
	ReadWriteDNS string
	// ReadOnlyDNS is the host of its readable secondaries; empty for none.
	ReadOnlyDNS string
}

// AddDatabaseInstance adds a Lakebase instance, or replaces the one with the
// same name, and returns it with its UID and DNS name. Credentials are
// issued only for the instances added.
func (w *Workspace) AddDatabaseInstance(inst DatabaseInstance) DatabaseInstance {
	if inst.UID == "" {
		inst.UID = randomUUID()
	}
	if inst.ReadWriteDNS == "" {
		inst.ReadWriteDNS = "instance-" + inst.UID + ".database.cloud.databricks.com"
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.dbInstances[inst.Name] = inst
	return inst
}

// listDatabaseInstances lists the Lakebase instances by name, page by page
// (database.ListDatabaseInstancesResponse; the page size is page_size).
func (w *Workspace) listDatabaseInstances(rw http.ResponseWriter, r *http.Request, _ caller) {
	type instanceJSON struct {
		Name         string `json:"name"`
		UID          string `json:"uid"`
		State        string `json:"state"`
		Capacity     string `json:"capacity"`
		PgVersion    string `json:"pg_version"`
		ReadWriteDNS string `json:"read_write_dns"`
		ReadOnlyDNS  string `json:"read_only_dns,omitempty"`
	}
	w.mu.Lock()
	items := make([]any, 0, len(w.dbInstances))
	for _, name := range sortedKeys(w.dbInstances) {
		inst := w.dbInstances[name]
		items = append(items, instanceJSON{Name: inst.Name, UID: inst.UID, State: "AVAILABLE", Capacity: "CU_1", PgVersion: "PG_VERSION_16",
			ReadWriteDNS: inst.ReadWriteDNS, ReadOnlyDNS: inst.ReadOnlyDNS})
	}
	w.mu.Unlock()
	w.writePage(rw, r, "page_size", "database_instances", "database_instances", items)
}

// DatabaseCredential is a Lakebase (Postgres) credential the fake issued: a
// password for the service principal's Postgres role, valid for an hour.
// It is for a Provisioned instance (InstanceNames) or an Autoscaling
// endpoint (Endpoint).
type DatabaseCredential struct {
	Token string
	// IssuedTo is the service principal's client id (its Postgres role).
	IssuedTo      string
	InstanceNames []string
	// Endpoint is the Autoscaling endpoint's resource path; empty for an
	// instance's credential.
	Endpoint  string
	RequestID string
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// DatabaseCredentials returns the Lakebase credentials issued so far, in
// order.
func (w *Workspace) DatabaseCredentials() []DatabaseCredential {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.dbCreds)
}

// ExpireDatabaseCredentials makes every Lakebase credential issued so far
// expire now, as each does an hour after it is issued.
func (w *Workspace) ExpireDatabaseCredentials() {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	for i := range w.dbCreds {
		if w.dbCreds[i].ExpiresAt.After(now) {
			w.dbCreds[i].ExpiresAt = now
		}
	}
}

// ValidDatabaseCredential reports whether token is a Lakebase credential
// issued here that has not expired: what Lakebase checks when a connection
// logs in with it.
func (w *Workspace) ValidDatabaseCredential(token string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	for _, c := range w.dbCreds {
		if c.Token == token {
			return c.ExpiresAt.After(now)
		}
	}
	return false
}

// databaseCredential issues a Lakebase credential (database.DatabaseCredential)
// to the service principal only: onbehalf reaches Postgres as the app, and
// a user token must never get here.
func (w *Workspace) databaseCredential(rw http.ResponseWriter, r *http.Request, c caller) {
	if !servicePrincipalOnly(rw, c) {
		return
	}
	var req struct {
		InstanceNames []string `json:"instance_names"`
		RequestID     string   `json:"request_id"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(rw, http.StatusBadRequest, "INVALID_PARAMETER_VALUE", "Invalid JSON in the request body: "+err.Error())
		return
	}
	if len(req.InstanceNames) == 0 {
		writeError(rw, http.StatusBadRequest, "INVALID_PARAMETER_VALUE", "instance_names must name at least one database instance.")
		return
	}
	w.mu.Lock()
	for _, name := range req.InstanceNames {
		if _, ok := w.dbInstances[name]; !ok {
			w.mu.Unlock()
			writeError(rw, http.StatusNotFound, "RESOURCE_DOES_NOT_EXIST", "Database instance '"+name+"' does not exist.")
			return
		}
	}
	w.mu.Unlock()
	cred := w.issueCredential(c, DatabaseCredential{InstanceNames: req.InstanceNames, RequestID: req.RequestID})
	writeJSON(rw, http.StatusOK, map[string]string{"token": cred.Token, "expiration_time": cred.ExpiresAt.Format(time.RFC3339)})
}

// issueCredential issues the service principal c a credential of an hour
// for the instances or the Autoscaling endpoint that cred names, keeps it
// (DatabaseCredentials, ValidDatabaseCredential), and returns it.
func (w *Workspace) issueCredential(c caller, cred DatabaseCredential) DatabaseCredential {
	now := time.Now().UTC().Truncate(time.Second)
	cred.IssuedTo, cred.IssuedAt, cred.ExpiresAt = c.name, now, now.Add(time.Hour)
	claims := map[string]any{
		"sub": c.name, "iss": tokenIssuer, "aud": "lakebase", "iat": now.Unix(), "exp": cred.ExpiresAt.Unix(), "jti": randomUUID(),
	}
	if cred.Endpoint != "" {
		claims["endpoint"] = cred.Endpoint
	} else {
		claims["instance_names"] = cred.InstanceNames
	}
	payload, _ := json.Marshal(claims)
	cred.Token = jwtShaped(payload)
	w.mu.Lock()
	w.dbCreds = append(w.dbCreds, cred)
	w.mu.Unlock()
	return cred
}

// servicePrincipalOnly refuses a database credential to anyone but the
// service principal, with Databricks' 403, and reports whether c is it.
func servicePrincipalOnly(rw http.ResponseWriter, c caller) bool {
	if !c.servicePrincipal {
		writeError(rw, http.StatusForbidden, "PERMISSION_DENIED",
			"Only the app's service principal may generate database credentials in this workspace.")
	}
	return c.servicePrincipal
}
