package fakeworkspace

import (
	"strings"
	"time"
)

// ResponsesTask is the task of an Agent Framework agent (a ResponsesAgent),
// the one kind of endpoint that takes the request onbehalf sends.
const ResponsesTask = "agent/v1/responses"

// Endpoint is a Model Serving endpoint.
type Endpoint struct {
	Name string
	// ID is the endpoint id (32 hex digits); derived from the name when empty.
	ID      string
	Creator string
	// Task is what the endpoint serves, e.g. ResponsesTask for an Agent
	// Framework agent or "llm/v1/chat". Invoking an endpoint of another task
	// than ResponsesTask with onbehalf's request is refused with a 400, as
	// Databricks does; one without a task (tests that do not care) takes it.
	Task string
	// Ready is READY or NOT_READY; READY when empty.
	Ready string
	// ConfigUpdate is NOT_UPDATING, IN_PROGRESS, UPDATE_FAILED or
	// UPDATE_CANCELED; NOT_UPDATING when empty.
	ConfigUpdate string
	CreatedAt    time.Time // a fixed date when zero
}

// AddEndpoint adds a serving endpoint, or replaces the one with the same
// name. Grants on it are kept.
func (w *Workspace) AddEndpoint(e Endpoint) {
	if e.ID == "" {
		e.ID = strings.ReplaceAll(stableUUID("endpoint", e.Name), "-", "")
	}
	if e.Ready == "" {
		e.Ready = "READY"
	}
	if e.ConfigUpdate == "" {
		e.ConfigUpdate = "NOT_UPDATING"
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.endpoints[e.Name] = &e
}

// GrantEndpoint lets a user see and query serving endpoints (CAN_QUERY).
func (w *Workspace) GrantEndpoint(userName string, endpoints ...string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	grantTo(w.endpointGrants, userName, endpoints)
}
