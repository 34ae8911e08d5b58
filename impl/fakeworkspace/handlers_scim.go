package fakeworkspace

import "net/http"

const (
	scimUserSchema          = "urn:ietf:params:scim:schemas:core:2.0:User"
	scimWorkspaceUserSchema = "urn:ietf:params:scim:schemas:extension:workspace:2.0:User"
)

// scimEmail is a SCIM complex value (iam.ComplexValue).
type scimEmail struct {
	Value   string `json:"value"`
	Primary bool   `json:"primary"`
	Type    string `json:"type"`
}

// scimUser is the SCIM user shape (iam.User).
type scimUser struct {
	ID          string      `json:"id"`
	UserName    string      `json:"userName"`
	DisplayName string      `json:"displayName"`
	Active      bool        `json:"active"`
	Emails      []scimEmail `json:"emails,omitempty"`
	Schemas     []string    `json:"schemas"`
}

// me answers SCIM Me: the caller. The service principal answers as a user
// whose userName is its application id, as Databricks does.
func (w *Workspace) me(rw http.ResponseWriter, r *http.Request, c caller) {
	w.mu.Lock()
	var out scimUser
	if c.servicePrincipal {
		out = scimUser{ID: w.sp.ID, UserName: w.sp.ClientID, DisplayName: w.sp.DisplayName, Active: true}
	} else {
		u := w.usersByName[c.name] // authed checked that the user exists
		out = scimUser{ID: u.ID, UserName: u.UserName, DisplayName: u.DisplayName, Active: true,
			Emails: []scimEmail{{Value: u.UserName, Primary: true, Type: "work"}}}
	}
	w.mu.Unlock()
	out.Schemas = []string{scimUserSchema, scimWorkspaceUserSchema}
	writeJSON(rw, http.StatusOK, out)
}
