package main

import (
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
)

// The demo proxy plays the Databricks Apps proxy for a browser in demo mode:
// nobody puts X-Forwarded-Access-Token in front of a local browser, so a
// demo page (the front end's sign-in bar) picks a demo user, kept in a
// cookie, and the proxy adds that user's token to each request that has no
// header. It is built only by startDemo, so it never exists outside demo
// mode (TestDemoProxyOnlyInDemoMode).

const (
	demoCookie    = "onbehalf_demo_user"
	forwardedAuth = "X-Forwarded-Access-Token"
	// demoTokenLife is how long the proxy reuses a token it issued; the
	// fake's tokens live an hour.
	demoTokenLife = 30 * time.Minute
)

// demoUser is someone a person can sign in as in the demo.
type demoUser struct {
	ID       string   `json:"id"`
	UserName string   `json:"user_name"`
	Label    string   `json:"label"`
	Scopes   []string `json:"scopes"`
}

// demoUsers are alice and bob with every scope the app asks for, and alice
// without the serving scope, to show the re-consent steps.
func demoUsers() []demoUser {
	noServing := slices.DeleteFunc(slices.Clone(fakeworkspace.AllScopes), func(s string) bool { return s == fakeworkspace.ScopeServing })
	return []demoUser{
		{ID: "alice", UserName: fakeworkspace.Alice, Label: "Alice Analyst", Scopes: fakeworkspace.AllScopes},
		{ID: "bob", UserName: fakeworkspace.Bob, Label: "Bob Builder", Scopes: fakeworkspace.AllScopes},
		{ID: "alice-no-serving", UserName: fakeworkspace.Alice, Label: "Alice Analyst, without the serving scope", Scopes: noServing},
	}
}

type issuedToken struct {
	token  string
	issued time.Time
}

// demoProxy is the middleware; see the comment at the top of this file.
type demoProxy struct {
	ws    *fakeworkspace.Workspace
	users []demoUser
	next  http.Handler

	mu     sync.Mutex
	tokens map[string]issuedToken
}

func newDemoProxy(ws *fakeworkspace.Workspace, next http.Handler) *demoProxy {
	return &demoProxy{ws: ws, users: demoUsers(), next: next, tokens: map[string]issuedToken{}}
}

func (p *demoProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/_demo/users" && r.Method == http.MethodGet:
		p.listUsers(w, r)
	case r.URL.Path == "/_demo/sign-in" && r.Method == http.MethodPost:
		p.signIn(w, r)
	case r.URL.Path == "/_demo/sign-out" && r.Method == http.MethodPost:
		http.SetCookie(w, &http.Cookie{Name: demoCookie, Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
		w.WriteHeader(http.StatusNoContent)
	default:
		if r.Header.Get(forwardedAuth) == "" {
			if u, ok := p.signedIn(r); ok {
				r = r.Clone(r.Context())
				r.Header.Set(forwardedAuth, p.token(u))
			}
		}
		p.next.ServeHTTP(w, r)
	}
}

func (p *demoProxy) listUsers(w http.ResponseWriter, r *http.Request) {
	current := ""
	if u, ok := p.signedIn(r); ok {
		current = u.ID
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(map[string]any{"users": p.users, "signed_in": current})
}

func (p *demoProxy) signIn(w http.ResponseWriter, r *http.Request) {
	var body struct {
		User string `json:"user"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1024)).Decode(&body); err != nil || p.find(body.User) == nil {
		http.Error(w, "sign-in needs a JSON body {\"user\": \"alice\"} naming a demo user", http.StatusBadRequest)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: demoCookie, Value: body.User, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	w.WriteHeader(http.StatusNoContent)
}

func (p *demoProxy) signedIn(r *http.Request) (demoUser, bool) {
	c, err := r.Cookie(demoCookie)
	if err != nil {
		return demoUser{}, false
	}
	if u := p.find(c.Value); u != nil {
		return *u, true
	}
	return demoUser{}, false
}

func (p *demoProxy) find(id string) *demoUser {
	for i := range p.users {
		if p.users[i].ID == id {
			return &p.users[i]
		}
	}
	return nil
}

// token returns the user's token, issued by the fake workspace like the
// platform issues one per session, and reused until demoTokenLife so the
// fake's token table does not grow with every request.
func (p *demoProxy) token(u demoUser) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if t, ok := p.tokens[u.ID]; ok && time.Since(t.issued) < demoTokenLife {
		return t.token
	}
	tok := p.ws.IssueToken(u.UserName, u.Scopes...)
	p.tokens[u.ID] = issuedToken{token: tok, issued: time.Now()}
	return tok
}
