package fakeworkspace

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"slices"
	"sync"
	"time"
)

// DefaultWorkspaceID is the workspace id the fake reports, in host metadata
// and in the X-Databricks-Org-Id response header.
const DefaultWorkspaceID = "1234567890123456"

// defaultPageSize is small so that every Unity Catalog listing of the demo
// spans several pages and the callers' paging is exercised.
const defaultPageSize = 2

// defaultCreatedAt is the creation time (epoch ms, 2024-01-15T09:30:00Z) of
// everything added without one, fixed so answers are the same on every run.
const defaultCreatedAt = 1705311000000

// createdAtMillis is t in epoch milliseconds, or defaultCreatedAt when unset.
func createdAtMillis(t time.Time) int64 {
	if t.IsZero() {
		return defaultCreatedAt
	}
	return t.UnixMilli()
}

// User is a workspace user.
type User struct {
	// ID is the SCIM id, a numeric string; AddUser makes one when empty.
	ID string
	// UserName is the user's e-mail address.
	UserName    string
	DisplayName string
}

// ServicePrincipal is the app's own identity, which signs in with OAuth M2M.
type ServicePrincipal struct {
	// ID is the SCIM id; SetServicePrincipal makes one when empty.
	ID string
	// ClientID is the application id, the OAuth client id.
	ClientID     string
	ClientSecret string
	DisplayName  string
	// TokenLifetime is the expires_in of the tokens the token endpoint
	// issues; 0 means an hour, as Databricks'. (The fake does not refuse a
	// token once it has passed.)
	TokenLifetime time.Duration
}

// Workspace is a fake workspace's state. The zero value is not usable: start
// from New or Demo. All methods are safe for concurrent use.
type Workspace struct {
	mu sync.Mutex

	users       []*User          // in the order added
	usersByName map[string]*User // by user name
	sp          ServicePrincipal

	catalogs       map[string]*Catalog        // by name
	catalogGrants  map[string]map[string]bool // user name -> catalog -> granted
	endpoints      map[string]*Endpoint       // by name
	endpointGrants map[string]map[string]bool // user name -> endpoint -> granted

	tokens map[string]tokenInfo // bearer token -> what it stands for

	pageSize   int
	emptyPages bool

	faults      []*Fault
	log         []Request
	dbInstances map[string]DatabaseInstance // by name
	pgEndpoints map[string]PostgresEndpoint // by resource path
	dbCreds     []DatabaseCredential        // instances' and endpoints'
}

// New returns a workspace with no users, catalogs, endpoints, database
// instances or Autoscaling endpoints, and a
// service principal named "onbehalf-app" with a random client id and secret.
func New() *Workspace {
	w := &Workspace{
		usersByName:    map[string]*User{},
		catalogs:       map[string]*Catalog{},
		catalogGrants:  map[string]map[string]bool{},
		endpoints:      map[string]*Endpoint{},
		endpointGrants: map[string]map[string]bool{},
		tokens:         map[string]tokenInfo{},
		dbInstances:    map[string]DatabaseInstance{},
		pgEndpoints:    map[string]PostgresEndpoint{},
		pageSize:       defaultPageSize,
	}
	w.SetServicePrincipal(ServicePrincipal{
		ClientID:     randomUUID(),
		ClientSecret: "dose" + randomHex(16),
		DisplayName:  "onbehalf-app",
	})
	return w
}

// SetPaging sets the page size of Unity Catalog and database instance
// listings (at least 1; the caller's max_results or page_size can only make
// pages smaller) and whether each page
// with items is followed by an empty page that still carries a
// next_page_token, which the real API does and callers must tolerate.
func (w *Workspace) SetPaging(pageSize int, emptyPages bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pageSize, w.emptyPages = max(1, pageSize), emptyPages
}

// AddUser adds a user, or replaces the one with the same user name, and
// returns it with its SCIM id.
func (w *Workspace) AddUser(u User) User {
	w.mu.Lock()
	defer w.mu.Unlock()
	if old := w.usersByName[u.UserName]; old != nil {
		if u.ID == "" {
			u.ID = old.ID
		}
		*old = u
		return u
	}
	if u.ID == "" {
		u.ID = randomDigits(16)
	}
	w.users = append(w.users, &u)
	w.usersByName[u.UserName] = &u
	return u
}

// Users returns the users in the order they were added.
func (w *Workspace) Users() []User {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]User, len(w.users))
	for i, u := range w.users {
		out[i] = *u
	}
	return out
}

// LookupUser returns the user with this user name.
func (w *Workspace) LookupUser(userName string) (User, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if u := w.usersByName[userName]; u != nil {
		return *u, true
	}
	return User{}, false
}

// SetServicePrincipal replaces the service principal. Tokens issued to the
// previous one stop working, as they would if it were deleted.
func (w *Workspace) SetServicePrincipal(sp ServicePrincipal) {
	if sp.ID == "" {
		sp.ID = randomDigits(16)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.sp = sp
	for tok, info := range w.tokens {
		if info.servicePrincipal {
			delete(w.tokens, tok)
		}
	}
}

// ServicePrincipal returns the service principal's client id and secret,
// what the app gets as DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET.
func (w *Workspace) ServicePrincipal() (clientID, clientSecret string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.sp.ClientID, w.sp.ClientSecret
}

// ServicePrincipalInfo returns the whole service principal.
func (w *Workspace) ServicePrincipalInfo() ServicePrincipal {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.sp
}

// grantTo records grants in one of the grant maps. The caller holds mu.
func grantTo(grants map[string]map[string]bool, userName string, names []string) {
	if grants[userName] == nil {
		grants[userName] = map[string]bool{}
	}
	for _, n := range names {
		grants[userName][n] = true
	}
}

// sortedKeys returns a map's keys in order, so listings are stable.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// randomDigits returns n digits without a leading zero, like SCIM ids.
func randomDigits(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	b[0] = '1' + b[0]%9
	return string(b)
}

func randomUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return uuidFrom(b)
}

// stableUUID derives a UUID-shaped id from names, so that ids of catalogs,
// schemas and tables are the same from run to run.
func stableUUID(parts ...string) string {
	b := make([]byte, 0, 16)
	for i := 0; len(b) < 16; i++ {
		h := fnv.New64a()
		_, _ = fmt.Fprint(h, i, parts)
		b = h.Sum(b)
	}
	return uuidFrom(b[:16])
}

func uuidFrom(b []byte) string {
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
