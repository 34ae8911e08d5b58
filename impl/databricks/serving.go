package databricks

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/databricks/databricks-sdk-go/apierr"

	"github.com/onbehalf/onbehalf/impl/apperr"
)

// Endpoint is a serving endpoint as the user sees it.
type Endpoint struct {
	Name, Ready, ConfigUpdate, Task, Creator string
}

// ListEndpoints returns the window of the serving endpoints the context's
// user can see. Databricks lists them all in one answer.
func (c *UserClient) ListEndpoints(ctx context.Context, w Window) ([]Endpoint, bool, error) {
	var resp endpointsPage
	if err := c.getJSON(ctx, "serving.endpoints.list", call{path: "/api/2.0/serving-endpoints"}, &resp); err != nil {
		return nil, false, err
	}
	all := make([]Endpoint, len(resp.Endpoints))
	for i, e := range resp.Endpoints {
		all[i] = toEndpoint(e.Name, e.State, e.Task, e.Creator)
	}
	return sliceWindow(all, w)
}

// GetEndpoint returns one serving endpoint, if the context's user can see it.
func (c *UserClient) GetEndpoint(ctx context.Context, name string) (Endpoint, error) {
	var e servingEndpoint
	if err := c.getJSON(ctx, "serving.endpoints.get", call{path: "/api/2.0/serving-endpoints/" + url.PathEscape(name), carries: names}, &e); err != nil {
		return Endpoint{}, err
	}
	return toEndpoint(e.Name, e.State, e.Task, e.Creator), nil
}

func toEndpoint(name string, state *endpointState, task, creator string) Endpoint {
	e := Endpoint{Name: name, Task: task, Creator: creator, Ready: "UNKNOWN", ConfigUpdate: "UNKNOWN"}
	if state != nil {
		if state.Ready != "" {
			e.Ready = state.Ready
		}
		if state.ConfigUpdate != "" {
			e.ConfigUpdate = state.ConfigUpdate
		}
	}
	return e
}

// Message is one turn of a conversation with an agent.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Invocation is a request to an agent endpoint, in the Agent Framework
// schema (`input`, never `messages`: agent endpoints refuse that with 400).
type Invocation struct {
	Input []Message `json:"input"`
	// CustomInputs is the JSON text the client sent, passed on as it is:
	// decoded into Go values, an integer beyond 2^53 would lose digits.
	CustomInputs json.RawMessage `json:"custom_inputs,omitempty"`
	Metadata     map[string]any  `json:"metadata"`
}

// InvocationResult is an agent's answer.
type InvocationResult struct {
	// Text is the assistant's text, joined from the answer's output messages.
	Text string
	// Raw is the endpoint's answer exactly as received.
	Raw json.RawMessage
	// Status is the HTTP status the endpoint answered with (0 when it did not).
	Status  int
	Latency time.Duration
}

// Invoke sends inv to the endpoint as the context's user. It sends and reads
// raw JSON: the SDK's ServingEndpoints.Query drops the `output` field that
// agent endpoints answer with. One attempt may take the invocation timeout.
// The messages are the client's own, so an endpoint's 413 or 422 is the
// client's input refused (TooLarge, Invalid), not a bug of ours.
func (c *UserClient) Invoke(ctx context.Context, endpoint string, inv Invocation) (InvocationResult, error) {
	start := time.Now()
	var raw []byte
	err := c.invoke.do(ctx, "serving.endpoints.invoke", c.observe, func(ctx context.Context) error {
		var err error
		raw, err = c.send(ctx, call{method: http.MethodPost, path: "/serving-endpoints/" + url.PathEscape(endpoint) + "/invocations", body: inv, carries: input}, "", nil)
		return err
	})
	res := InvocationResult{Latency: time.Since(start)}
	if err != nil {
		// The status the endpoint answered the last attempt with, if it
		// answered at all (not for a network failure or a timeout).
		var apiErr *apierr.APIError
		if errors.As(err, &apiErr) {
			res.Status = apiErr.StatusCode
		}
		return res, err
	}
	res.Status = http.StatusOK
	if !json.Valid(raw) {
		return res, apperr.New(apperr.Upstream, "The endpoint answered with something that is not JSON.")
	}
	res.Raw = json.RawMessage(raw)
	res.Text = outputText(raw)
	return res, nil
}

// outputText extracts the assistant's text from the answer shapes agent
// endpoints use: the Responses API (`output[].content`) of the Agent
// Framework, and the chat completions shape (`choices[].message.content`).
// Either content is a string or a list of parts, of which the text ones are
// kept (a reasoning model's answer starts with a reasoning part). Each item
// is read on its own, so one of a shape not known here loses only itself.
func outputText(raw []byte) string {
	var answer struct {
		Output  json.RawMessage `json:"output"`
		Choices json.RawMessage `json:"choices"`
	}
	if json.Unmarshal(raw, &answer) != nil {
		return ""
	}
	var parts []string
	for _, item := range items(answer.Output) {
		var o struct {
			Content json.RawMessage `json:"content"`
		}
		if json.Unmarshal(item, &o) == nil {
			parts = append(parts, texts(o.Content)...)
		}
	}
	for _, item := range items(answer.Choices) {
		var ch struct {
			Message struct {
				Content json.RawMessage `json:"content"`
			} `json:"message"`
		}
		if json.Unmarshal(item, &ch) == nil {
			parts = append(parts, texts(ch.Message.Content)...)
		}
	}
	return strings.Join(parts, "\n")
}

// items returns the items of a JSON array, or none if raw is not one.
func items(raw json.RawMessage) []json.RawMessage {
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		return nil
	}
	return list
}

// texts returns the text of a message's content: a string, or the parts of
// type "output_text" or "text" of a list of parts.
func texts(content json.RawMessage) []string {
	var s string
	if json.Unmarshal(content, &s) == nil {
		if s == "" {
			return nil
		}
		return []string{s}
	}
	var out []string
	for _, item := range items(content) {
		var p struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}
		if json.Unmarshal(item, &p) == nil && p.Text != "" && (p.Type == "output_text" || p.Type == "text") {
			out = append(out, p.Text)
		}
	}
	return out
}
