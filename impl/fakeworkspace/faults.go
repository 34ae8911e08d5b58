package fakeworkspace

import (
	"slices"
	"strings"
	"time"
)

// Fault changes the answers to matching requests.
type Fault struct {
	// Method and Path select requests ("" matches any method). Path is exact,
	// or a prefix when it ends in '*'.
	Method string `json:"method,omitempty"`
	Path   string `json:"path"`
	// Token, when set, limits the fault to requests with this bearer token.
	Token string `json:"token,omitempty"`
	// Status is answered instead (0: answer normally, after Delay).
	Status int `json:"status,omitempty"`
	// RetryAfter is sent as the Retry-After header with Status.
	RetryAfter string `json:"retry_after,omitempty"`
	// Delay is waited before answering (the client may give up first).
	Delay time.Duration `json:"delay,omitempty"`
	// Count is how many requests it applies to; 0 means until cleared.
	Count int `json:"count,omitempty"`
	// Reset closes the connection without an answer.
	Reset bool `json:"reset,omitempty"`
}

func (f *Fault) matches(method, path, token string) bool {
	if f.Method != "" && f.Method != method {
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

// InjectFault adds a fault; faults apply in the order added, first match wins.
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

// takeFault returns the fault for a request, counting it down.
func (w *Workspace) takeFault(method, path, token string) (Fault, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, f := range w.faults {
		if !f.matches(method, path, token) {
			continue
		}
		out := *f
		if f.Count > 0 {
			f.Count--
			if f.Count == 0 {
				w.faults = slices.Delete(w.faults, i, i+1)
			}
		}
		return out, true
	}
	return Fault{}, false
}

// Request is one request the fake received.
type Request struct {
	Time     time.Time `json:"time"`
	Method   string    `json:"method"`
	Path     string    `json:"path"`
	RawQuery string    `json:"raw_query,omitempty"`
	// Token is the bearer token it carried ("" for none).
	Token string `json:"token,omitempty"`
	// UserName is whose token it was ("" for unknown; the client id for the service principal).
	UserName string `json:"user_name,omitempty"`
	Body     []byte `json:"body,omitempty"`
}

// Requests returns every request received, in order.
func (w *Workspace) Requests() []Request {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.log)
}

// RequestsTo returns the requests whose path starts with prefix.
func (w *Workspace) RequestsTo(prefix string) []Request {
	var out []Request
	for _, r := range w.Requests() {
		if strings.HasPrefix(r.Path, prefix) {
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
