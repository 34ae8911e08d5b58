package observe

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"regexp"
	"time"

	"github.com/onbehalf/onbehalf/impl/reqctx"
)

// RequestIDHeader carries the correlation id in and out.
const RequestIDHeader = "X-Request-Id"

// wellFormedID is what an incoming X-Request-Id must look like to be kept:
// the Databricks Apps proxy sends a UUID; anything else (too long, odd
// characters that could forge log lines) is replaced by a fresh id.
var wellFormedID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$`)

// NewCorrelationID returns a random 128-bit id, hex-encoded.
func NewCorrelationID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+).
	return hex.EncodeToString(b[:])
}

// Requests is the outermost middleware: it gives the request its correlation
// id and Meta, returns the id in X-Request-Id, and logs the request when it
// ends: its auth_event line when it made an authentication decision (API
// operations do), then its request line. Observers (the metrics) hear about
// every request too.
func Requests(log *slog.Logger, next http.Handler, observers ...RequestObserver) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(RequestIDHeader)
		if !wellFormedID.MatchString(id) {
			id = NewCorrelationID()
		}
		meta := &reqctx.Meta{CorrelationID: id}
		w.Header().Set(RequestIDHeader, id)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		r = r.WithContext(reqctx.WithMeta(r.Context(), meta))

		next.ServeHTTP(rec, r)

		if meta.Route == "" {
			meta.Route = r.Pattern
		}
		if meta.Route == "" {
			meta.Route = Unmatched
		}
		end := time.Now()
		elapsed := end.Sub(start)
		for _, o := range observers {
			o.ObserveRequest(r.Method, meta, rec.status, elapsed)
		}
		attrs := make([]slog.Attr, 0, 6)
		attrs = append(attrs,
			// As the metric has it: net/http takes any method of up to its
			// header limit, a megabyte, and the line would carry it all.
			slog.String("method", methodLabel(r.Method)),
			slog.String("route", meta.Route),
			slog.Int("status", rec.status),
			slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
		)
		if meta.AuthMethod != "" {
			attrs = append(attrs, slog.String("auth_method", string(meta.AuthMethod)))
		}
		if meta.Reason != "" {
			attrs = append(attrs, slog.String("reason", meta.Reason))
		}
		line := slog.NewRecord(end, slog.LevelInfo, "request", 0)
		line.AddAttrs(attrs...)
		if meta.Auth != nil {
			logLines(r.Context(), log, authEvent(end, meta), line)
		} else {
			logLines(r.Context(), log, line)
		}
	})
}

// authEvent is the auth_event line of a request that made an authentication
// decision: the decision, with facts about the token and never the token.
// When the scope check ran, its facts are on the same line.
func authEvent(at time.Time, meta *reqctx.Meta) slog.Record {
	d := meta.Auth
	method := string(meta.AuthMethod)
	if method == "" {
		method = "none"
	}
	level, outcome := slog.LevelInfo, "success"
	if !d.Success {
		level, outcome = slog.LevelWarn, "failure"
	}
	attrs := make([]slog.Attr, 0, 13)
	attrs = append(attrs,
		slog.String("decision", outcome),
		slog.String("endpoint", meta.Operation),
		slog.Bool("token_present", d.TokenPresent),
		slog.String("auth_method", method),
		slog.String("user_id", meta.UserID),
		slog.Int("retry_attempt", meta.Retries),
		slog.String("reason", d.Reason),
	)
	if sc := meta.ScopeCheck; sc != nil {
		attrs = append(attrs,
			slog.Int("token_length", sc.TokenLength),
			slog.Bool("token_is_jwt", sc.TokenIsJWT),
			slog.Any("scopes", sc.Scopes),
			slog.Any("required_scopes", sc.Required),
			slog.Bool("required_present", sc.RequiredPresent),
		)
		if len(sc.Missing) > 0 {
			attrs = append(attrs, slog.Any("missing_scopes", sc.Missing))
		}
	}
	e := slog.NewRecord(at, level, "auth_event", 0)
	e.AddAttrs(attrs...)
	return e
}

// RequestObserver hears about each finished request.
type RequestObserver interface {
	ObserveRequest(method string, meta *reqctx.Meta, status int, elapsed time.Duration)
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wroteHeader = true
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Started reports whether the answer to a request has begun (its status or
// a byte of its body was written), for w as Requests passes it on, or any
// writer that unwraps to it. It is false for any other writer.
func Started(w http.ResponseWriter) bool {
	for {
		switch t := w.(type) {
		case *statusRecorder:
			return t.wroteHeader
		case interface{ Unwrap() http.ResponseWriter }:
			w = t.Unwrap()
		default:
			return false
		}
	}
}
