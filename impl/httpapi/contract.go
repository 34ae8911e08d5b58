package httpapi

import (
	"context"
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/onbehalf/onbehalf/gen/apidocs"
)

// operation is what the server needs to know of one contract operation.
type operation struct {
	ID     string
	Scopes []string // x-required-scopes: the OAuth scopes the token must carry
	// ParamIn is where each of its parameters is: path, query or header.
	ParamIn map[string]string
	// Body is whether it takes a request body.
	Body bool
}

// loadContract loads the bundled contract embedded in the binary and indexes
// its operations by route pattern ("GET /api/user/me"), the form in which
// the generated router reports the matched route (http.Request.Pattern).
// The scopes each operation needs are read from here and nowhere else.
func loadContract() (*openapi3.T, map[string]operation, error) {
	doc, err := openapi3.NewLoader().LoadFromData(apidocs.OpenAPI)
	if err != nil {
		return nil, nil, fmt.Errorf("load contract: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, nil, fmt.Errorf("validate contract: %w", err)
	}
	ops := map[string]operation{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			scopes, err := requiredScopes(op)
			if err != nil {
				return nil, nil, fmt.Errorf("%s %s: %w", method, path, err)
			}
			in := map[string]string{}
			for _, params := range []openapi3.Parameters{item.Parameters, op.Parameters} {
				for _, p := range params {
					if p.Value != nil {
						in[p.Value.Name] = p.Value.In
					}
				}
			}
			ops[method+" "+path] = operation{ID: op.OperationID, Scopes: scopes, ParamIn: in, Body: op.RequestBody != nil}
		}
	}
	return doc, ops, nil
}

func requiredScopes(op *openapi3.Operation) ([]string, error) {
	raw, ok := op.Extensions["x-required-scopes"]
	if !ok {
		return nil, nil
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("x-required-scopes must be a list of strings")
	}
	scopes := make([]string, 0, len(list))
	for _, s := range list {
		str, ok := s.(string)
		if !ok || str == "" {
			return nil, fmt.Errorf("x-required-scopes must be a list of non-empty strings")
		}
		scopes = append(scopes, str)
	}
	return scopes, nil
}
