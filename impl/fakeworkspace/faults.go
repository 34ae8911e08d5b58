package fakeworkspace

import (
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"time"
)

// Fault changes how the fake answers matching requests, to test how callers
// cope with throttling, outages, slowness and broken connections.
type Fault struct {
	// Method limits the fault to one HTTP method ("" for any).
	Method string
	// Path is the exact request path, or a prefix when it ends in '*'
	// ("/api/2.1/unity-catalog/*"; "*" alone matches every path).
	Path string
	// Token limits the fault to requests with this bearer token ("" for any).
	Token string
	// Status is answered instead of the real answer, with an error body
	// (0: answer normally, after Delay).
	Status int
	// ErrorCode and Message make the error body; when empty they are chosen
	// from Status (429 REQUEST_LIMIT_EXCEEDED, 503 TEMPORARILY_UNAVAILABLE, ...).
	// On the OAuth token endpoint the body is an OAuth error, as its own
	// are: ErrorCode is its "error" (by default from Status: 401
	// invalid_client, 5xx server_error, ...) and Message its
	// "error_description".
	ErrorCode string
	Message   string
	// RetryAfter is sent as the Retry-After header with Status.
	RetryAfter string
	// Delay is waited before answering. A client that gives up first gets
	// nothing, and the fake stops waiting.
	Delay time.Duration
	// Count is how many matching requests the fault applies to; 0 means
	// every one until ClearFaults.
	Count int
	// Reset closes the TCP connection without an answer (after Delay), with
	// a TCP reset, so the client sees "connection reset by peer".
	Reset bool
}

// faultJSON is how a Fault reads in JSON, with the delay in milliseconds.
type faultJSON struct {
	Method     string `json:"method,omitempty"`
	Path       string `json:"path"`
	Token      string `json:"token,omitempty"`
	Status     int    `json:"status,omitempty"`
	ErrorCode  string `json:"error_code,omitempty"`
	Message    string `json:"message,omitempty"`
	RetryAfter string `json:"retry_after,omitempty"`
	DelayMS    int64  `json:"delay_ms,omitempty"`
	Count      int    `json:"count,omitempty"`
	Reset      bool   `json:"reset,omitempty"`
}

// MarshalJSON writes the fault as POST /_fake/faults reads it:
// {"method","path","token","status","error_code","message","retry_after",
// "delay_ms","count","reset"}, all but path optional.
func (f Fault) MarshalJSON() ([]byte, error) {
	return json.Marshal(faultJSON{f.Method, f.Path, f.Token, f.Status, f.ErrorCode, f.Message,
		f.RetryAfter, f.Delay.Milliseconds(), f.Count, f.Reset})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (f *Fault) UnmarshalJSON(data []byte) error {
	var j faultJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*f = Fault{j.Method, j.Path, j.Token, j.Status, j.ErrorCode, j.Message,
		j.RetryAfter, time.Duration(j.DelayMS) * time.Millisecond, j.Count, j.Reset}
	return nil
}

func (f *Fault) matches(method, path, token string) bool {
	if f.Method != "" && !strings.EqualFold(f.Method, method) {
		return false
	}
	if f.Token != "" && f.Token != token {
		return false
	}
	if prefix, ok := strings.CutSuffix(f.Path, "*"); ok {
		return strings.HasPrefix(path, prefix)
	}
	return f.Path == path
}

// InjectFault adds a fault. Faults are tried in the order added and the
// first that matches a request applies to it.
func (w *Workspace) InjectFault(f Fault) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.faults = append(w.faults, &f)
}

// ClearFaults removes every fault.
func (w *Workspace) ClearFaults() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.faults = nil
}

// takeFault returns the fault that applies to a request, counting it down
// and dropping it once used up.
func (w *Workspace) takeFault(method, path, token string) (Fault, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, f := range w.faults {
		if !f.matches(method, path, token) {
			continue
		}
		if f.Count > 0 {
			f.Count--
			if f.Count == 0 {
				w.faults = append(w.faults[:i:i], w.faults[i+1:]...)
			}
		}
		return *f, true
	}
	return Fault{}, false
}

// applyFault carries a fault out. It reports whether it answered the request
// (or dropped it); false means the request is to be served normally.
func applyFault(rw http.ResponseWriter, r *http.Request, f Fault) bool {
	if f.Delay > 0 {
		timer := time.NewTimer(f.Delay)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-r.Context().Done():
			return true // the client gave up; nobody is listening
		}
	}
	if f.Reset {
		resetConnection(rw)
		return true
	}
	if f.Status == 0 {
		return false
	}
	if f.RetryAfter != "" {
		rw.Header().Set("Retry-After", f.RetryAfter)
	}
	code, msg := f.ErrorCode, f.Message
	if msg == "" {
		msg = "Injected fault: " + http.StatusText(f.Status)
	}
	if r.URL.Path == tokenPath {
		if code == "" {
			code = oauthErrorCodeFor(f.Status)
		}
		writeOAuthError(rw, f.Status, code, msg)
		return true
	}
	if code == "" {
		code = errorCodeFor(f.Status)
	}
	writeError(rw, f.Status, code, msg)
	return true
}

// resetConnection drops the connection under a request with a TCP RST
// rather than a FIN: a client then reads "connection reset by peer", which
// is what a proxy or load balancer failing mid-request looks like.
func resetConnection(rw http.ResponseWriter) {
	hj, ok := rw.(http.Hijacker)
	if !ok {
		// HTTP/2 cannot hand the connection over; aborting the handler
		// resets the stream instead.
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0) // close with RST
	}
	_ = conn.Close()
}

// errorCodeFor is the error_code Databricks uses with a status.
func errorCodeFor(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "BAD_REQUEST"
	case http.StatusUnauthorized:
		return "UNAUTHENTICATED"
	case http.StatusForbidden:
		return "PERMISSION_DENIED"
	case http.StatusNotFound:
		return "NOT_FOUND"
	case http.StatusConflict:
		return "RESOURCE_CONFLICT"
	case http.StatusTooManyRequests:
		return "REQUEST_LIMIT_EXCEEDED"
	case http.StatusNotImplemented:
		return "NOT_IMPLEMENTED"
	case http.StatusServiceUnavailable:
		return "TEMPORARILY_UNAVAILABLE"
	case http.StatusGatewayTimeout:
		return "DEADLINE_EXCEEDED"
	}
	if status >= 500 {
		return "INTERNAL_ERROR"
	}
	return "BAD_REQUEST"
}
