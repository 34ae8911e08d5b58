// Package lakebase keeps the users' data (preferences, inference logs) in
// Lakebase, Databricks-managed Postgres, reached as the app's service
// principal.
//
// Every method takes the id of the user it acts for (never a token), checks
// it before touching the database, and runs in a transaction that names that
// user to the database (set_config('app.user_id', ..., true)): the queries
// filter on user_id, and row-level security makes the database enforce the
// same, so a query that forgot its filter still sees only the caller's rows.
// A write returns only after its transaction committed.
//
// Errors are apperr kinds: Unavailable while the database cannot be reached
// or does not answer within the store's timeout, NotFound for a missing row,
// Internal for a bug.
package lakebase

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/onbehalf/onbehalf/gen/db"
	"github.com/onbehalf/onbehalf/impl/apperr"
)

// DefaultTimeout bounds one store operation, waiting for a connection
// included: a request that needs Lakebase answers 503 within it when the
// database is down, whatever the client's own timeout.
const DefaultTimeout = 5 * time.Second

// Store is the users' data in Lakebase. It is safe for concurrent use.
type Store struct {
	pool    *pgxpool.Pool
	timeout time.Duration
}

// Timeout is the most one store operation waits, connecting included,
// before it gives up.
func (s *Store) Timeout() time.Duration { return s.timeout }

// Close closes the store's connections.
func (s *Store) Close() { s.pool.Close() }

// Ping checks that the database answers, within the store's timeout.
// Errors: Unavailable.
func (s *Store) Ping(ctx context.Context) error {
	octx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.pool.Ping(octx); err != nil {
		return unavailable("Lakebase is not reachable.", err)
	}
	return nil
}

// inTx runs fn in a transaction of userID's, bounded by the store's timeout,
// and commits it. The transaction names the user to the database first, for
// row-level security. fn's apperr errors pass through; database errors are
// translated.
func (s *Store) inTx(ctx context.Context, userID string, fn func(ctx context.Context, q *db.Queries) error) error {
	if err := checkUserID(userID); err != nil {
		return err
	}
	octx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	tx, err := s.begin(octx)
	if err != nil {
		return translate(ctx, err)
	}
	defer func() { _ = tx.Rollback(octx) }() // a no-op once committed
	q := db.New(tx)
	if err := q.SetCurrentUser(octx, userID); err != nil {
		return translate(ctx, err)
	}
	if err := fn(octx, q); err != nil {
		return translate(ctx, err)
	}
	return translate(ctx, tx.Commit(octx))
}

// begin starts a transaction. A pooled connection that died while idle (the
// database restarted, the network dropped it) fails at BEGIN, before
// anything ran, and is then discarded by the pool: begin tries the next
// one, so the first requests after an outage do not fail on the dead
// connections it left behind. A failure to open a new connection is not
// retried (the database is down), except once when Postgres refused the
// login: the shared credential was revoked or expired early, has been
// dropped, and the next connection logs in with a new one.
func (s *Store) begin(ctx context.Context) (pgx.Tx, error) {
	loginRetried := false
	for attempt := int32(0); ; attempt++ {
		tx, err := s.pool.Begin(ctx)
		switch {
		case err == nil || ctx.Err() != nil || attempt >= s.pool.Config().MaxConns:
			return tx, err
		case loginWasRefused(err) && !loginRetried:
			loginRetried = true
		case !unreachable(err) || connecting(err):
			return tx, err
		}
	}
}

// loginWasRefused reports whether err is Postgres refusing a new connection's
// login.
func loginWasRefused(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && loginRefused(pgErr.Code)
}

// connecting reports whether err came from opening a new connection (its
// credential included) rather than from a pooled one.
func connecting(err error) bool {
	var connectErr *pgconn.ConnectError
	return errors.As(err, &connectErr) || apperr.As(err) != nil
}
