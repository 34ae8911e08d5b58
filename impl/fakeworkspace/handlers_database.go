package fakeworkspace

import (
	"encoding/json"
	"net/http"
	"slices"
	"time"
)

// DatabaseCredential is a Lakebase (Postgres) credential the fake issued: a
// password for the service principal's Postgres role, valid for an hour.
type DatabaseCredential struct {
	Token string
	// IssuedTo is the service principal's client id (its Postgres role).
	IssuedTo      string
	InstanceNames []string
	RequestID     string
	IssuedAt      time.Time
	ExpiresAt     time.Time
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
	if !c.servicePrincipal {
		writeError(rw, http.StatusForbidden, "PERMISSION_DENIED",
			"Only the app's service principal may generate database credentials in this workspace.")
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
	now := time.Now().UTC().Truncate(time.Second)
	expires := now.Add(time.Hour)
	claims, _ := json.Marshal(map[string]any{
		"sub": c.name, "iss": tokenIssuer, "aud": "lakebase", "iat": now.Unix(), "exp": expires.Unix(),
		"jti": randomUUID(), "instance_names": req.InstanceNames,
	})
	cred := DatabaseCredential{
		Token: jwtShaped(claims), IssuedTo: c.name, InstanceNames: req.InstanceNames,
		RequestID: req.RequestID, IssuedAt: now, ExpiresAt: expires,
	}
	w.mu.Lock()
	w.dbCreds = append(w.dbCreds, cred)
	w.mu.Unlock()
	writeJSON(rw, http.StatusOK, map[string]string{"token": cred.Token, "expiration_time": expires.Format(time.RFC3339)})
}
