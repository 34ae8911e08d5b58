package lakebase

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/onbehalf/onbehalf/impl/apperr"
)

// Lakebase credentials live an hour; connections are recycled well before,
// spread over a few minutes so they do not all reconnect at once. (Postgres
// checks the password only at login, but a connection must not outlive the
// credential it logged in with by design: see credentialMinLeft.)
const (
	maxConnLifetime       = 40 * time.Minute
	maxConnLifetimeJitter = 5 * time.Minute
	// connectTimeout bounds one login, the credential fetch excluded.
	connectTimeout = 3 * time.Second
)

// Connection says where the database is: either URL, used as given (local
// development, tests), or a Lakebase instance reached as the service
// principal with its credential, shared by the new connections until
// shortly before it expires.
type Connection struct {
	// URL is DATABASE_URL; when set, the fields below are ignored.
	URL string

	// Host, Port, Database, User and SSLMode are PGHOST, PGPORT, PGDATABASE,
	// PGUSER (the service principal's client id) and PGSSLMODE.
	Host, Port, Database, User, SSLMode string
	// Password returns a new Lakebase credential, asked for by the service
	// principal, and when it expires (zero when Databricks did not say). It
	// is called by one connection at a time, only when the shared
	// credential is near its end or was refused. Its context carries none of
	// the values of the request whose query needed the connection: the
	// connection is the pool's, and may outlive that request.
	Password func(ctx context.Context) (password string, expires time.Time, err error)

	// Timeout bounds one store operation (DefaultTimeout when zero).
	Timeout time.Duration
}

// Open returns a store over conn. It does not connect: the first operation
// (or Ping) does, so the server starts while the database is down.
func Open(conn Connection) (*Store, error) {
	cfg, err := poolConfig(conn)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, fmt.Errorf("lakebase: %w", err)
	}
	timeout := conn.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Store{pool: pool, timeout: timeout}, nil
}

// poolConfig builds the pool's configuration for conn.
func poolConfig(conn Connection) (*pgxpool.Config, error) {
	if conn.URL != "" {
		cfg, err := pgxpool.ParseConfig(conn.URL)
		if err != nil {
			// pgx's message may quote the URL, password included.
			return nil, errors.New("lakebase: DATABASE_URL is not a valid Postgres URL")
		}
		if cfg.ConnConfig.ConnectTimeout <= 0 {
			cfg.ConnConfig.ConnectTimeout = connectTimeout
		}
		return cfg, nil
	}
	if conn.Host == "" || conn.User == "" || conn.Password == nil {
		return nil, errors.New("lakebase: PGHOST, PGUSER and a credential source are needed without DATABASE_URL")
	}
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User(conn.User),
		Host:     net.JoinHostPort(conn.Host, orDefault(conn.Port, "5432")),
		Path:     "/" + orDefault(conn.Database, "databricks_postgres"),
		RawQuery: url.Values{"sslmode": {orDefault(conn.SSLMode, "require")}}.Encode(),
	}
	cfg, err := pgxpool.ParseConfig(u.String())
	if err != nil {
		return nil, fmt.Errorf("lakebase: the PG* variables do not make a valid connection: %w", err)
	}
	cfg.ConnConfig.ConnectTimeout = connectTimeout
	cfg.MaxConnLifetime = maxConnLifetime
	cfg.MaxConnLifetimeJitter = maxConnLifetimeJitter
	creds := newCredentials(conn.Password)
	cfg.BeforeConnect = func(ctx context.Context, cc *pgx.ConnConfig) error {
		// pgxpool opens a new connection in a goroutine of its own, with the
		// values of the context of the acquire that asked for it but not its
		// cancellation (puddle's valueCancelCtx): the login, and the retries
		// of its credential call, go on after that request has answered and
		// been logged. The connection is the pool's and its credential the
		// app's own work, so the credential is asked for with none of the
		// request's values (its Meta, its credential, its identity on log
		// lines): nothing it does touches the request.
		ctx, cancel := withoutValues(ctx)
		defer cancel()
		pw, err := creds.get(ctx)
		if err != nil {
			return &apperr.Error{Kind: apperr.Unavailable, Detail: "Lakebase credentials could not be obtained; try again shortly.", Reason: "lakebase_credential", Err: err}
		}
		cc.Password = pw
		// A refused login reaches us only as an error on this connection,
		// which pgx hands to OnPgError before it gives up: that is where the
		// shared credential is dropped, whoever asked for the connection.
		closeOnFatal := cc.OnPgError // pgx's own: it closes the connection on a FATAL error
		cc.OnPgError = func(pc *pgconn.PgConn, pgErr *pgconn.PgError) bool {
			if loginRefused(pgErr.Code) {
				creds.refused(pw)
			}
			return closeOnFatal(pc, pgErr)
		}
		return nil
	}
	cfg.AfterConnect = func(_ context.Context, conn *pgx.Conn) error {
		creds.loggedIn(conn.Config().Password)
		return nil
	}
	return cfg, nil
}

// withoutValues returns a context that ends when ctx ends, or at its
// deadline, but carries none of its values.
func withoutValues(ctx context.Context) (context.Context, context.CancelFunc) {
	var (
		d      context.Context
		cancel context.CancelFunc
	)
	if deadline, ok := ctx.Deadline(); ok {
		d, cancel = context.WithDeadline(context.Background(), deadline)
	} else {
		d, cancel = context.WithCancel(context.Background())
	}
	stop := context.AfterFunc(ctx, cancel)
	return d, func() { stop(); cancel() }
}

func orDefault(v, def string) string {
	if v = strings.TrimSpace(v); v != "" {
		return v
	}
	return def
}
