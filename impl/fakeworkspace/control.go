package fakeworkspace

import (
	"encoding/json"
	"net/http"
	"time"
)

// HandlerWithControl returns Handler plus the control endpoints under
// /_fake/ (see the package documentation), for running the fake as a
// process that a test drives over HTTP. Control requests are not logged and
// faults do not apply to them.
func (w *Workspace) HandlerWithControl() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /_fake/tokens", w.controlIssueToken)
	mux.HandleFunc("POST /_fake/tokens/revoke", w.controlRevokeToken)
	mux.HandleFunc("POST /_fake/faults", w.controlInjectFault)
	mux.HandleFunc("DELETE /_fake/faults", func(rw http.ResponseWriter, _ *http.Request) {
		w.ClearFaults()
		rw.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_fake/requests", func(rw http.ResponseWriter, _ *http.Request) {
		writeJSON(rw, http.StatusOK, append([]Request{}, w.Requests()...))
	})
	mux.HandleFunc("DELETE /_fake/requests", func(rw http.ResponseWriter, _ *http.Request) {
		w.ResetRequests()
		rw.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_fake/database-credentials", w.controlDatabaseCredentials)
	mux.HandleFunc("POST /_fake/database-credentials/expire", func(rw http.ResponseWriter, _ *http.Request) {
		w.ExpireDatabaseCredentials()
		rw.WriteHeader(http.StatusNoContent)
	})
	// Below /_fake/, anything else is a mistake of the test, not a
	// workspace path.
	mux.HandleFunc("/_fake/", notFound)
	mux.Handle("/", w.Handler())
	return mux
}

func (w *Workspace) controlIssueToken(rw http.ResponseWriter, r *http.Request) {
	var req struct {
		UserName string   `json:"user_name"`
		Scopes   []string `json:"scopes"`
		Opaque   bool     `json:"opaque"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.UserName == "" {
		writeError(rw, http.StatusBadRequest, "INVALID_PARAMETER_VALUE", `want {"user_name": "...", "scopes": [...], "opaque": false}`)
		return
	}
	if _, ok := w.LookupUser(req.UserName); !ok {
		writeError(rw, http.StatusNotFound, "RESOURCE_DOES_NOT_EXIST", "No user "+req.UserName+" in this workspace.")
		return
	}
	var token string
	if req.Opaque {
		token = w.IssuePAT(req.UserName)
	} else {
		token = w.IssueToken(req.UserName, req.Scopes...)
	}
	writeJSON(rw, http.StatusOK, map[string]string{"token": token})
}

func (w *Workspace) controlRevokeToken(rw http.ResponseWriter, r *http.Request) {
	var req struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Token == "" {
		writeError(rw, http.StatusBadRequest, "INVALID_PARAMETER_VALUE", `want {"token": "..."}`)
		return
	}
	w.RevokeToken(req.Token)
	rw.WriteHeader(http.StatusNoContent)
}

func (w *Workspace) controlInjectFault(rw http.ResponseWriter, r *http.Request) {
	var f Fault
	if err := json.NewDecoder(r.Body).Decode(&f); err != nil || f.Path == "" {
		writeError(rw, http.StatusBadRequest, "INVALID_PARAMETER_VALUE", `want a fault: {"path": "...", "status": 503, "delay_ms": 0, "count": 0, ...}`)
		return
	}
	w.InjectFault(f)
	rw.WriteHeader(http.StatusNoContent)
}

func (w *Workspace) controlDatabaseCredentials(rw http.ResponseWriter, _ *http.Request) {
	type credJSON struct {
		Token         string    `json:"token"`
		IssuedTo      string    `json:"issued_to"`
		InstanceNames []string  `json:"instance_names"`
		Endpoint      string    `json:"endpoint,omitempty"`
		RequestID     string    `json:"request_id,omitempty"`
		IssuedAt      time.Time `json:"issued_at"`
		ExpiresAt     time.Time `json:"expires_at"`
	}
	out := []credJSON{}
	for _, c := range w.DatabaseCredentials() {
		out = append(out, credJSON(c))
	}
	writeJSON(rw, http.StatusOK, out)
}

// StartupInfo is what cmd/fakeworkspace prints, as one JSON line, once it
// listens: where it is, the service principal's credentials, and a token of
// each user.
type StartupInfo struct {
	URL              string                  `json:"url"`
	WorkspaceID      string                  `json:"workspace_id"`
	ServicePrincipal StartupServicePrincipal `json:"service_principal"`
	Users            []StartupUser           `json:"users"`
}

// StartupServicePrincipal is the service principal in StartupInfo.
type StartupServicePrincipal struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	DisplayName  string `json:"display_name"`
}

// StartupUser is a user in StartupInfo.
type StartupUser struct {
	UserName    string `json:"user_name"`
	DisplayName string `json:"display_name"`
	// Token is a JWT-shaped token with AllScopes.
	Token string `json:"token"`
	// PAT is an opaque personal access token.
	PAT string `json:"pat"`
}

// StartupInfo issues a token with AllScopes and a personal access token to
// every user and returns them with the service principal's credentials, for
// a server reached at url.
func (w *Workspace) StartupInfo(url string) StartupInfo {
	sp := w.ServicePrincipalInfo()
	info := StartupInfo{
		URL:              url,
		WorkspaceID:      DefaultWorkspaceID,
		ServicePrincipal: StartupServicePrincipal{ClientID: sp.ClientID, ClientSecret: sp.ClientSecret, DisplayName: sp.DisplayName},
		Users:            []StartupUser{},
	}
	for _, u := range w.Users() {
		info.Users = append(info.Users, StartupUser{
			UserName: u.UserName, DisplayName: u.DisplayName,
			Token: w.IssueToken(u.UserName, AllScopes...), PAT: w.IssuePAT(u.UserName),
		})
	}
	return info
}
