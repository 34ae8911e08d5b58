package fakeworkspace

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Request is one request the fake received, as it arrived: requests that a
// fault answered, and requests that failed authentication, are logged too.
type Request struct {
	Time     time.Time
	Method   string
	Path     string
	RawQuery string
	// Token is the bearer token of the Authorization header, "" for none.
	Token string
	// UserName is whose token it was: a user name, the service principal's
	// client id, or "" when the token is unknown or missing.
	UserName string
	Body     []byte
	// Header is the request's header, Authorization included.
	Header http.Header
}

// requestJSON is how a Request reads in JSON: the body as text, since the
// fake's requests are JSON or forms.
type requestJSON struct {
	Time     time.Time   `json:"time"`
	Method   string      `json:"method"`
	Path     string      `json:"path"`
	RawQuery string      `json:"raw_query,omitempty"`
	Token    string      `json:"token,omitempty"`
	UserName string      `json:"user_name,omitempty"`
	Body     string      `json:"body,omitempty"`
	Header   http.Header `json:"header,omitempty"`
}

// MarshalJSON writes the request with its body as a string, for the
// GET /_fake/requests control endpoint.
func (r Request) MarshalJSON() ([]byte, error) {
	return json.Marshal(requestJSON{r.Time, r.Method, r.Path, r.RawQuery, r.Token, r.UserName, string(r.Body), r.Header})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *Request) UnmarshalJSON(data []byte) error {
	var j requestJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*r = Request{j.Time, j.Method, j.Path, j.RawQuery, j.Token, j.UserName, []byte(j.Body), j.Header}
	if j.Body == "" {
		r.Body = nil
	}
	return nil
}

// record appends a request to the log.
func (w *Workspace) record(r *http.Request, token string, body []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	entry := Request{
		Time:     time.Now(),
		Method:   r.Method,
		Path:     r.URL.Path,
		RawQuery: r.URL.RawQuery,
		Token:    token,
		Body:     body,
		Header:   r.Header.Clone(),
	}
	if info, ok := w.lookupToken(token); ok {
		entry.UserName = info.principal
	}
	w.log = append(w.log, entry)
}

// Requests returns every request received so far, in the order received.
func (w *Workspace) Requests() []Request {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.log)
}

// RequestsTo returns the requests whose path starts with pathPrefix.
func (w *Workspace) RequestsTo(pathPrefix string) []Request {
	var out []Request
	for _, r := range w.Requests() {
		if strings.HasPrefix(r.Path, pathPrefix) {
			out = append(out, r)
		}
	}
	return out
}

// ResetRequests forgets the requests received so far.
func (w *Workspace) ResetRequests() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.log = nil
}
