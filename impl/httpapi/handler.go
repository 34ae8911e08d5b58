// Package httpapi is the HTTP face of onbehalf: it puts together the
// generated router and strict server, the request validator, the auth and
// scope checks, the problem answers, and the operational endpoints.
package httpapi

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"syscall"

	"github.com/onbehalf/onbehalf/gen/api"
	"github.com/onbehalf/onbehalf/gen/apidocs"
	"github.com/onbehalf/onbehalf/impl/apperr"
	"github.com/onbehalf/onbehalf/impl/auth"
	"github.com/onbehalf/onbehalf/impl/databricks"
	"github.com/onbehalf/onbehalf/impl/lakebase"
	"github.com/onbehalf/onbehalf/impl/observe"
)

// maxBodyBytes bounds every API request body; the contract's own limits
// (a preference value's 64 KiB) are checked within it.
const maxBodyBytes = 1 << 20

//go:embed docs.html
var docsPage []byte

// Deps are what the HTTP layer is built from.
type Deps struct {
	Log  *slog.Logger
	User *databricks.UserClient
	Auth *auth.Authenticator
	// Ready reports whether the server's dependencies can serve (GET /readyz);
	// nil means always ready.
	Ready func(context.Context) error
	// Metrics, when set, is served at GET /metrics.
	Metrics http.Handler
	// Observers hear about every finished request.
	Observers []observe.RequestObserver
	// Store keeps the users' data in Lakebase; nil when Lakebase is not
	// configured (its operations answer 503). When set, GET /readyz pings it.
	Store *lakebase.Store
	// Web, when set, is the built front end, served at / (see web.go).
	Web fs.FS
	// Longest is the most this server takes to answer, which index.html
	// tells the front end so that it waits as long (see web.go); zero
	// values are left out, and the front end keeps its defaults.
	Longest Longest
}

// New returns the server's whole HTTP handler.
func New(d Deps) (http.Handler, error) {
	doc, ops, err := loadContract()
	if err != nil {
		return nil, err
	}
	problems := problemWriter{log: d.Log}
	strict := api.NewStrictHandlerWithOptions(&Server{user: d.User, store: d.Store, log: d.Log},
		[]api.StrictMiddlewareFunc{authenticate(d.Auth, ops)},
		api.StrictHTTPServerOptions{
			RequestErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) {
				problems.write(w, r, &apperr.Error{Kind: apperr.Invalid, Detail: "The request body could not be read as JSON.", Reason: "invalid_body", Err: err})
			},
			ResponseErrorHandlerFunc: problems.write,
		})
	apiRoutes := http.NewServeMux()
	routes := api.HandlerWithOptions(strict, api.StdHTTPServerOptions{
		BaseRouter: apiRoutes,
		ErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) {
			problems.write(w, r, bindingError(ops[r.Pattern], err))
		},
	})

	mux := http.NewServeMux()
	mux.Handle("/api/", unescapedPath(labelRoute(apiRoutes, ops)(limitBody(validator(doc, problems)(oneJSONValue(ops, problems)(routes))))))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if d.Store != nil {
			if err := d.Store.Ping(r.Context()); err != nil {
				problems.write(w, r, err)
				return
			}
		}
		if d.Ready != nil {
			if err := d.Ready(r.Context()); err != nil {
				problems.write(w, r, err)
				return
			}
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(apidocs.OpenAPI)
	})
	mux.HandleFunc("GET /docs", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(docsPage)
	})
	assets, err := fs.Sub(apidocs.SwaggerUI, "swagger-ui")
	if err != nil {
		return nil, err
	}
	mux.Handle("GET /docs/swagger-ui/", assetHandler(assets, "/docs/swagger-ui/", problems))
	if d.Metrics != nil {
		mux.Handle("GET /metrics", d.Metrics)
	}
	web, err := webHandler(d.Web, d.Longest, problems)
	if err != nil {
		return nil, err
	}
	// The roots of the two subtrees above, without their slash: ServeMux
	// would redirect them (307, with an HTML body) into the subtree. The web
	// handler answers /api with the API's 404 problem, and
	// /docs/swagger-ui as any other page path.
	mux.Handle("/api", web)
	mux.Handle("GET /docs/swagger-ui", web)
	mux.Handle("/", web)
	return observe.Requests(d.Log, recoverPanics(problems, refuseUncleanPaths(problems, mux)), d.Observers...), nil
}

// authenticate is the strict-server middleware that runs before every
// operation (labelRoute has recorded its route already): it resolves the
// request's credential and checks the scopes the contract requires for this
// operation; when the
// operation ends, its error (if any) completes the authentication decision.
func authenticate(a *auth.Authenticator, ops map[string]operation) api.StrictMiddlewareFunc {
	return func(next api.StrictHandlerFunc, _ string) api.StrictHandlerFunc {
		return func(ctx context.Context, w http.ResponseWriter, r *http.Request, request any) (any, error) {
			op, ok := ops[r.Pattern]
			if !ok {
				return nil, fmt.Errorf("route %q has no operation in the contract", r.Pattern)
			}
			ctx, err := a.Authenticate(ctx, r, op.Scopes)
			if err != nil {
				return nil, err
			}
			resp, err := next(ctx, w, r, request)
			a.Decide(ctx, err)
			return resp, err
		}
	}
}

// bindingError is the 400 problem for a parameter that the validator let
// through and the generated wrapper could not bind: in practice a query
// parameter given more than once (the validator checks the first value).
// Like the validator's, it names the parameter and never its value.
func bindingError(op operation, err error) error {
	var (
		name, message string
		many          *api.TooManyValuesForParamError
		format        *api.InvalidParamFormatError
		required      *api.RequiredParamError
		header        *api.RequiredHeaderError
	)
	switch {
	case errors.As(err, &many):
		name, message = many.ParamName, "the parameter must be given once"
	case errors.As(err, &format):
		name, message = format.ParamName, "the value is not of the expected type"
	case errors.As(err, &required):
		name, message = required.ParamName, "the parameter is required"
	case errors.As(err, &header):
		name, message = header.ParamName, "the header is required"
	default:
		return &apperr.Error{Kind: apperr.Invalid, Detail: "A parameter is invalid.", Reason: "invalid_parameter"}
	}
	in := op.ParamIn[name]
	if in == "" {
		in = "query"
	}
	e := invalid("A parameter is invalid: ", []apperr.Field{{Location: in, Name: name, Message: message}})
	e.Reason = "invalid_parameter"
	return e
}

// limitBody bounds an API request's body to maxBodyBytes, and marks each
// failure to read it as a *readError, which the validator, the first to
// read the body, answers by what it was (bodyReadError). A request without
// a body (net/http's NoBody: most of them, GETs) is left as it is.
func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != http.NoBody {
			r.Body = readErrors{http.MaxBytesReader(w, r.Body, maxBodyBytes)}
		}
		next.ServeHTTP(w, r)
	})
}

// readErrors is a request body whose read failures are *readError.
type readErrors struct{ io.ReadCloser }

func (b readErrors) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		err = &readError{err}
	}
	return n, err
}

// readError is a failure to read the request body.
type readError struct{ err error }

func (e *readError) Error() string { return "read the request body: " + e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// bodyReadError is the answer to a request whose body could not be read in
// full, never a body "that does not match the contract": a 413 past
// maxBodyBytes; a 400 when the server stopped waiting for it (its
// ReadTimeout); the 499 of a client that went away when the connection
// ended early (net/http's io.ErrUnexpectedEOF, a reset) or the request
// was canceled (net/http cancels it on any failed read of the connection,
// a timeout too, hence the order); else a 400 (a malformed chunked body).
func bodyReadError(r *http.Request, err *readError) *apperr.Error {
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return &apperr.Error{Kind: apperr.TooLarge, Detail: "The request body is larger than the server accepts.", Reason: "body_too_large", Err: err}
	case errors.Is(err, os.ErrDeadlineExceeded):
		return &apperr.Error{Kind: apperr.Invalid, Detail: "The request body did not arrive in full within the server's read timeout.", Reason: "body_unreadable", Err: err}
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNRESET) || r.Context().Err() != nil:
		return &apperr.Error{Kind: apperr.Canceled, Detail: "The client went away before sending the whole request body.", Err: err}
	}
	return &apperr.Error{Kind: apperr.Invalid, Detail: "The request body could not be read in full.", Reason: "body_unreadable", Err: err}
}
