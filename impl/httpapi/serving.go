package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"time"

	"github.com/onbehalf/onbehalf/gen/api"
	"github.com/onbehalf/onbehalf/impl/databricks"
	"github.com/onbehalf/onbehalf/impl/lakebase"
)

// ListServingEndpoints answers with the serving endpoints the user can see.
func (s *Server) ListServingEndpoints(ctx context.Context, req api.ListServingEndpointsRequestObject) (api.ListServingEndpointsResponseObject, error) {
	w := window(req.Params.Limit, req.Params.Offset)
	eps, more, err := s.user.ListEndpoints(ctx, w)
	if err != nil {
		return nil, err
	}
	items := make([]api.ServingEndpoint, len(eps))
	for i, e := range eps {
		items[i] = toServingEndpoint(e)
	}
	return api.ListServingEndpoints200JSONResponse{Items: items, Limit: w.Limit, Offset: w.Offset, HasMore: more}, nil
}

// GetServingEndpoint answers with one serving endpoint.
func (s *Server) GetServingEndpoint(ctx context.Context, req api.GetServingEndpointRequestObject) (api.GetServingEndpointResponseObject, error) {
	e, err := s.user.GetEndpoint(ctx, req.EndpointName)
	if err != nil {
		return nil, err
	}
	return api.GetServingEndpoint200JSONResponse(toServingEndpoint(e)), nil
}

func toServingEndpoint(e databricks.Endpoint) api.ServingEndpoint {
	return api.ServingEndpoint{
		Name:    e.Name,
		State:   api.ServingEndpointState{Ready: e.Ready, ConfigUpdate: e.ConfigUpdate},
		Task:    opt(e.Task),
		Creator: opt(e.Creator),
	}
}

// InvokeServingEndpoint sends the conversation to an agent endpoint as the
// user, in the Agent Framework schema, and records the call in the user's
// inference log. Each of its waits is counted in LongestInvocation.
func (s *Server) InvokeServingEndpoint(ctx context.Context, req api.InvokeServingEndpointRequestObject) (api.InvokeServingEndpointResponseObject, error) {
	u, _, err := s.identify(ctx)
	if err != nil {
		return nil, err
	}
	inv := databricks.Invocation{
		Input:    make([]databricks.Message, len(req.Body.Input)),
		Metadata: map[string]any{"user": u.Email, "source": "databricks_app"},
	}
	for i, m := range req.Body.Input {
		inv.Input[i] = databricks.Message{Role: string(m.Role), Content: m.Content}
	}
	if req.Body.CustomInputs != nil {
		// As sent (the contract keeps it raw), so that the agent and the
		// inference log see every digit the client wrote.
		inv.CustomInputs = *req.Body.CustomInputs
	}
	res, err := s.user.Invoke(ctx, req.EndpointName, inv)
	s.recordInference(ctx, u.UserName, req.EndpointName, inv, res, err)
	if err != nil {
		return nil, err
	}
	return api.InvokeServingEndpoint200JSONResponse{EndpointName: req.EndpointName, OutputText: res.Text, Response: asObject(res.Raw)}, nil
}

// LongestInvocation is the most InvokeServingEndpoint can take: the
// identity call, the agent's, and the inference log's write (when store is
// not nil), one after the other, each to its own bound. The server's write
// deadline must outlast it: an answer cut off there leaves the user not
// knowing that the agent acted.
func LongestInvocation(user *databricks.UserClient, store *lakebase.Store) time.Duration {
	return LongestRequest(user, store) + user.LongestInvoke()
}

// asObject returns the endpoint's answer as the JSON object the contract
// promises, as its own text: never decoded, so that no number loses a digit.
// An answer that is not an object (an array, a string, null) is wrapped as
// {"value": answer}. raw is valid JSON (Invoke checks it).
func asObject(raw json.RawMessage) json.RawMessage {
	if trimmed := bytes.TrimLeft(raw, " \t\r\n"); len(trimmed) > 0 && trimmed[0] == '{' {
		return raw
	}
	wrapped, err := json.Marshal(struct {
		Value json.RawMessage `json:"value"`
	}{raw})
	if err != nil { // not JSON after all: never sent as if it were
		return json.RawMessage(`{"value":null}`)
	}
	return wrapped
}
