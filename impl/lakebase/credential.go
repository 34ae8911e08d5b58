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
	// refusedHold is how long a replacement credential refused in turn is
	// kept (see credentials.replacement): a login refused for good asks for
	// two credentials a minute at most, however many attempts to connect.
	refusedHold = time.Minute
)

// credentials hands out the shared credential to new connections.
type credentials struct {
	// source asks for a new credential (see Connection.Password).
	source func(ctx context.Context) (password string, expires time.Time, err error)

	// fetching is held while a credential is asked for, so that one caller
	// asks and the others wait for its answer (no burst of requests when
	// many connections open at once); source's retry policy bounds the
	// wait, and so does each waiter's own context (see get).
	fetching chan struct{}

	// mu guards the fields below; it is never held across a call.
	mu         sync.Mutex
	password   string    // empty: none yet, or refused
	reuseUntil time.Time // when a new one is asked for
	// replacement says the credential replaced a refused one. If it is
	// refused in turn, the login is most likely refused for another reason
	// than the credential (the role is missing or may not log in): it is
	// kept for hold, rather than a new one asked for at each attempt to
	// connect, and then renewed as if it were due.
	replacement bool
	hold        time.Duration
	// dropped says the last credential was refused: the next one is a
	// replacement.
	dropped bool
	// failed is the error of the last fetch, and failedAt when it came:
	// callers that waited for that fetch get its error rather than each
	// asking again in turn. Later callers ask anew.
	failed   error
	failedAt time.Time
}

func newCredentials(source func(ctx context.Context) (string, time.Time, error)) *credentials {
	return &credentials{source: source, fetching: make(chan struct{}, 1), hold: refusedHold}
}

// current returns the shared credential, if it may still log a new
// connection in.
func (c *credentials) current() (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.password, c.password != "" && time.Now().Before(c.reuseUntil)
}

// get returns the credential to log a new connection in with: the shared
// one while it has long enough left, otherwise a new one from source. It
// returns source's errors, and ctx's when it ends while waiting for
// another caller's fetch.
func (c *credentials) get(ctx context.Context) (string, error) {
	if pw, ok := c.current(); ok {
		return pw, nil
	}
	waiting := time.Now()
	select {
	case c.fetching <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-c.fetching }()
	if pw, ok := c.current(); ok { // fetched while this caller waited
		return pw, nil
	}
	if err := c.failedSince(waiting); err != nil { // failed while this caller waited
		return "", err
	}
	password, expires, err := c.source(ctx)
	if err != nil {
		c.mu.Lock()
		c.failed, c.failedAt = err, time.Now()
		c.mu.Unlock()
		return "", err
	}
	if expires.IsZero() {
		expires = time.Now().Add(credentialLifetime)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// A credential with less than credentialMinLeft to live serves the
	// connection that asked for it, and is not reused.
	c.password, c.reuseUntil = password, expires.Add(-credentialMinLeft)
	c.replacement, c.dropped = c.dropped, false
	return password, nil
}

// failedSince returns the last fetch's error if it came after t.
func (c *credentials) failedSince(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failedAt.After(t) {
		return c.failed
	}
	return nil
}

// loggedIn records that a connection logged in with password: if it is the
// shared credential, it is good, and no longer a replacement whose refusal
// would be kept (see replacement): revoked later, it is dropped as any.
func (c *credentials) loggedIn(password string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.password == password {
		c.replacement = false
	}
}

// refused drops password if it is still the shared credential: Postgres
// refused a login with it (revoked, or expired earlier than it said), and
// the next connection asks for a new one instead of failing the same way.
// A replacement refused in turn is kept (see replacement). It never waits
// for a fetch: it runs on the goroutine of whichever query met the refusal.
func (c *credentials) refused(password string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.password != password:
	case c.replacement:
		if until := time.Now().Add(c.hold); until.Before(c.reuseUntil) {
			c.reuseUntil = until
		}
	default:
		c.password, c.dropped = "", true
	}
}
