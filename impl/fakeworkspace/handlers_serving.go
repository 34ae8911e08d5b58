package fakeworkspace

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// The Model Serving shapes (serving.ServingEndpoint, ServingEndpointDetailed).
type (
	endpointState struct {
		Ready        string `json:"ready"`
		ConfigUpdate string `json:"config_update"`
	}
	servingEndpoint struct {
		Name                 string        `json:"name"`
		ID                   string        `json:"id"`
		Creator              string        `json:"creator,omitempty"`
		Task                 string        `json:"task,omitempty"`
		State                endpointState `json:"state"`
		CreationTimestamp    int64         `json:"creation_timestamp"`
		LastUpdatedTimestamp int64         `json:"last_updated_timestamp"`
	}
	servingEndpointDetailed struct {
		servingEndpoint
		// PermissionLevel is the caller's permission on the endpoint.
		PermissionLevel string `json:"permission_level"`
	}
)

func endpointJSON(e *Endpoint) servingEndpoint {
	created := createdAtMillis(e.CreatedAt)
	return servingEndpoint{
		Name: e.Name, ID: e.ID, Creator: e.Creator, Task: e.Task,
		State:             endpointState{Ready: e.Ready, ConfigUpdate: e.ConfigUpdate},
		CreationTimestamp: created, LastUpdatedTimestamp: created,
	}
}

// mayQueryEndpoint reports whether the caller holds CAN_QUERY. The caller
// holds mu.
func (w *Workspace) mayQueryEndpoint(c caller, name string) bool {
	return c.servicePrincipal || w.endpointGrants[c.name][name]
}

// listEndpoints lists the endpoints the caller may query; the others are
// left out, not refused.
func (w *Workspace) listEndpoints(rw http.ResponseWriter, r *http.Request, c caller) {
	w.mu.Lock()
	items := []servingEndpoint{}
	for _, name := range sortedKeys(w.endpoints) {
		if w.mayQueryEndpoint(c, name) {
			items = append(items, endpointJSON(w.endpoints[name]))
		}
	}
	w.mu.Unlock()
	writeJSON(rw, http.StatusOK, map[string]any{"endpoints": items})
}

// queryableEndpoint returns a copy of the endpoint if the caller may query
// it, or else the error Databricks answers.
func (w *Workspace) queryableEndpoint(c caller, name string) (Endpoint, *apiError) {
	w.mu.Lock()
	defer w.mu.Unlock()
	e := w.endpoints[name]
	if e == nil {
		return Endpoint{}, &apiError{http.StatusNotFound, "RESOURCE_DOES_NOT_EXIST",
			fmt.Sprintf("Endpoint with name '%s' does not exist.", name)}
	}
	if !w.mayQueryEndpoint(c, name) {
		return Endpoint{}, &apiError{http.StatusForbidden, "PERMISSION_DENIED",
			fmt.Sprintf("User does not have permission 'CAN_QUERY' on endpoint '%s'.", name)}
	}
	return *e, nil
}

func (w *Workspace) getEndpoint(rw http.ResponseWriter, r *http.Request, c caller) {
	e, apiErr := w.queryableEndpoint(c, r.PathValue("name"))
	if apiErr != nil {
		apiErr.write(rw)
		return
	}
	level := "CAN_QUERY"
	if c.servicePrincipal {
		level = "CAN_MANAGE"
	}
	writeJSON(rw, http.StatusOK, servingEndpointDetailed{servingEndpoint: endpointJSON(&e), PermissionLevel: level})
}

// agentRequest is the Agent Framework (ResponsesAgent) request body.
type agentRequest struct {
	Input []struct {
		Role string `json:"role"`
		// Content is a string, or a list of content parts
		// ({"type": "input_text", "text": ...}).
		Content json.RawMessage `json:"content"`
	} `json:"input"`
	// CustomInputs is kept as sent, and echoed as custom_outputs digit for
	// digit, as a model that passes its inputs through would.
	CustomInputs json.RawMessage `json:"custom_inputs,omitempty"`
}

// invoke answers an agent invocation in the Responses API shape, echoing
// the last user message and the caller's name so that a test sees whose
// token reached the endpoint. It refuses the chat completions shape
// ({"messages": ...}) the way agent endpoints do.
func (w *Workspace) invoke(rw http.ResponseWriter, r *http.Request, c caller) {
	e, apiErr := w.queryableEndpoint(c, r.PathValue("name"))
	if apiErr != nil {
		apiErr.write(rw)
		return
	}
	if e.Task != "" && e.Task != ResponsesTask {
		// As Databricks: the Agent Framework's request (input) is a
		// ResponsesAgent's; a chat model or agent takes messages, other
		// models their own inputs. An endpoint added without a task takes
		// it, for tests that do not care.
		writeError(rw, http.StatusBadRequest, "BAD_REQUEST",
			`Model is missing inputs ["messages"]. Note that inputs with extra fields such as "input" are not accepted: this endpoint (task `+e.Task+`) does not take the ResponsesAgent schema.`)
		return
	}
	var req agentRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(rw, http.StatusBadRequest, "BAD_REQUEST", "Invalid JSON in the request body: "+err.Error())
		return
	}
	if len(req.Input) == 0 {
		writeError(rw, http.StatusBadRequest, "BAD_REQUEST",
			`Model is missing inputs ["input"]. Note that inputs with extra fields such as "messages" are not accepted: agent endpoints take the ResponsesAgent schema.`)
		return
	}
	text := req.Input[len(req.Input)-1].Content
	for i := len(req.Input) - 1; i >= 0; i-- {
		if req.Input[i].Role == "user" {
			text = req.Input[i].Content
			break
		}
	}
	out := map[string]any{
		"id":         "resp_" + randomHex(12),
		"object":     "response",
		"created_at": time.Now().Unix(),
		"model":      e.Name,
		"status":     "completed",
		"output": []map[string]any{{
			"type": "message", "id": "msg_" + randomHex(12), "role": "assistant", "status": "completed",
			"content": []map[string]any{{
				"type": "output_text", "text": "Echo for " + c.name + ": " + contentText(text), "annotations": []any{},
			}},
		}},
	}
	if req.CustomInputs != nil {
		out["custom_outputs"] = req.CustomInputs
	}
	writeJSON(rw, http.StatusOK, out)
}

// contentText is the text of a message content: a JSON string, or the text
// parts of a list of content parts.
func contentText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []struct {
		Text string `json:"text"`
	}
	if json.Unmarshal(raw, &parts) == nil {
		texts := make([]string, 0, len(parts))
		for _, p := range parts {
			texts = append(texts, p.Text)
		}
		return strings.Join(texts, " ")
	}
	return string(raw)
}
