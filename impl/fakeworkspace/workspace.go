// Package fakeworkspace is a fake Databricks workspace: a real HTTP server
// that answers the REST paths onbehalf calls, with the real API's JSON
// shapes, per-user grants, JWT-shaped tokens carrying scopes, injectable
// faults, and a log of every request it received. Tests start it in-process
// with httptest.NewServer(ws.Handler()); cmd/fakeworkspace runs it alone.
package fakeworkspace

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"time"
)

// The scopes Databricks Apps tokens carry.
const (
	ScopeCurrentUser   = "iam.current-user:read"
	ScopeAccessCtl     = "iam.access-control:read"
	ScopeServing       = "serving.serving-endpoints"
	ScopeCatalogs      = "catalog.catalogs:read"
	ScopeSchemas       = "catalog.schemas:read"
	ScopeTables        = "catalog.tables:read"
	ScopeSQL           = "sql"
	ScopeGenie         = "dashboards.genie"
	DefaultWorkspaceID = "1234567890123456"
)

// DefaultScopes are the scopes every Databricks Apps user token has.
var DefaultScopes = []string{ScopeCurrentUser, ScopeAccessCtl}

// AllScopes is every scope the demo app asks for.
var AllScopes = []string{ScopeCurrentUser, ScopeAccessCtl, ScopeServing, ScopeCatalogs, ScopeSchemas, ScopeTables, ScopeSQL}

// User is a workspace user.
type User struct {
	ID          string
	UserName    string // an e-mail
	DisplayName string
}

// Table is a Unity Catalog table.
type Table struct{ Name, TableType, Format string }

// Catalog is a Unity Catalog catalog with its schemas and tables.
type Catalog struct {
	Name    string
	Comment string
	Schemas map[string][]Table
}

// Endpoint is a serving endpoint.
type Endpoint struct {
	Name, Task, Ready, ConfigUpdate, Creator string
}

// Workspace is the fake's state. All methods are safe for concurrent use.
type Workspace struct {
	mu          sync.Mutex
	users       map[string]*User           // by user name
	catalogs    map[string]*Catalog        // by name
	endpoints   map[string]*Endpoint       // by name
	grants      map[string]map[string]bool // user name -> catalog or endpoint -> granted
	tokens      map[string]tokenInfo       // token -> holder
	spID, spSec string
	spName      string
	pageSize    int
	emptyPages  bool
	faults      []*Fault
	log         []Request
	dbCreds     []DatabaseCredential
}

type tokenInfo struct {
	user   string // user name, or "" for the service principal
	scopes []string
	jwt    bool
}

// DatabaseCredential is a Lakebase credential the fake issued.
type DatabaseCredential struct {
	Token     string
	ExpiresAt time.Time
	Instances []string
}

// New returns an empty workspace with a service principal.
func New() *Workspace {
	return &Workspace{
		users: map[string]*User{}, catalogs: map[string]*Catalog{}, endpoints: map[string]*Endpoint{},
		grants: map[string]map[string]bool{}, tokens: map[string]tokenInfo{},
		spID: "00000000-0000-4000-8000-00000000a99", spSec: "demo-secret-" + randomHex(8), spName: "onbehalf-app",
		pageSize: 2,
	}
}

// SetPaging sets the page size of Unity Catalog listings, and whether an
// empty page (with a next token) follows every page, as Databricks may do.
func (w *Workspace) SetPaging(size int, emptyPages bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pageSize, w.emptyPages = max(1, size), emptyPages
}

// AddUser adds a user.
func (w *Workspace) AddUser(u User) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if u.ID == "" {
		u.ID = randomDigits(16)
	}
	w.users[u.UserName] = &u
}

// AddCatalog adds a catalog.
func (w *Workspace) AddCatalog(c Catalog) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.catalogs[c.Name] = &c
}

// AddEndpoint adds a serving endpoint.
func (w *Workspace) AddEndpoint(e Endpoint) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.endpoints[e.Name] = &e
}

// Grant lets a user see catalogs or endpoints, by name.
func (w *Workspace) Grant(userName string, names ...string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.grants[userName] == nil {
		w.grants[userName] = map[string]bool{}
	}
	for _, n := range names {
		w.grants[userName][n] = true
	}
}

// ServicePrincipal returns the app's client id and secret.
func (w *Workspace) ServicePrincipal() (clientID, secret string) {
	return w.spID, w.spSec
}

// IssueToken returns a new JWT-shaped token of the user with the scopes.
func (w *Workspace) IssueToken(userName string, scopes ...string) string {
	claims, _ := json.Marshal(map[string]any{
		"sub": userName, "iss": "fake-databricks", "aud": "onbehalf", "jti": randomHex(8),
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
		"scp": scopes, "scope": strings.Join(scopes, " "),
	})
	enc := base64.RawURLEncoding.EncodeToString
	tok := enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc(claims) + "." + enc([]byte(randomHex(16)))
	w.mu.Lock()
	defer w.mu.Unlock()
	w.tokens[tok] = tokenInfo{user: userName, scopes: slices.Clone(scopes), jwt: true}
	return tok
}

// IssuePAT returns a new opaque (personal access) token of the user.
func (w *Workspace) IssuePAT(userName string) string {
	tok := "dapi" + randomHex(16)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.tokens[tok] = tokenInfo{user: userName}
	return tok
}

// RevokeToken makes a token unknown.
func (w *Workspace) RevokeToken(tok string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.tokens, tok)
}

// DatabaseCredentials returns the Lakebase credentials issued so far.
func (w *Workspace) DatabaseCredentials() []DatabaseCredential {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.dbCreds)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func randomDigits(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = '1' + b[i]%9
	}
	return string(b)
}
