package lakebase

import (
	"context"
	"sync"
	"time"
)

// Every new connection logs in with the service principal's one shared
// Lakebase credential, reused until shortly before it expires. Asking for a
// credential per connection made an outage (each attempt to reconnect) and
// the unauthenticated /readyz probe ask the workspace for one credential
// after another, as the service principal. This is the app's own credential,
// not a user's token: the rule never to keep a user's token is about users'
// tokens, and does not apply here.
const (
	// credentialLifetime is how long a Lakebase credential lasts when
	// Databricks does not say: an hour.
	credentialLifetime = time.Hour
	// credentialMinLeft is how long a credential must still be valid to log
	// a new connection in: longer than a connection lives, so that no
	// connection outlives the credential it logged in with, and a minute
	// more for clocks that disagree. An hour's credential is reused for
	// 14 minutes.
	credentialMinLeft = maxConnLifetime + maxConnLifetimeJitter + time.Minute
)

// credentials hands out the shared credential to new connections.
type credentials struct {
	// source asks for a new credential (see Connection.Password).
	source func(ctx context.Context) (password string, expires time.Time, err error)

	// mu is held while a credential is asked for, so that one caller asks
	// and the others wait for its answer (no burst of requests when many
	// connections open at once); source's retry policy bounds the wait.
	mu         sync.Mutex
	password   string    // empty: none yet, or refused
	reuseUntil time.Time // when a new one is asked for
}

// get returns the credential to log a new connection in with: the shared
// one while it has long enough left, otherwise a new one from source. It
// returns source's errors.
func (c *credentials) get(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.password != "" && time.Now().Before(c.reuseUntil) {
		return c.password, nil
	}
	password, expires, err := c.source(ctx)
	if err != nil {
		return "", err
	}
	if expires.IsZero() {
		expires = time.Now().Add(credentialLifetime)
	}
	// A credential with less than credentialMinLeft to live serves the
	// connection that asked for it, and is not reused.
	c.password, c.reuseUntil = password, expires.Add(-credentialMinLeft)
	return password, nil
}

// refused drops password if it is still the shared credential: Postgres
// refused a login with it (revoked, or expired earlier than it said), and
// the next connection asks for a new one instead of failing the same way.
func (c *credentials) refused(password string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.password == password {
		c.password = ""
	}
}
