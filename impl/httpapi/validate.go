package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	nethttpmiddleware "github.com/oapi-codegen/nethttp-middleware"

	"github.com/onbehalf/onbehalf/impl/apperr"
	"github.com/onbehalf/onbehalf/impl/reqctx"
)

// validator returns the request validation middleware: every API request is
// checked against the contract before a handler sees it, and what is wrong is
// answered as a 400 problem naming each bad parameter or field.
//
// Every error is looked for in a request whose body is at most
// maxListedBody; in a larger one (or one of unknown length) validation stops
// at the first. kin-openapi keeps each error it finds with the schema and
// the value that broke it, so a body of a megabyte made of small bad items
// (a POST of an invocation with 70,000 bad messages) cost about 500 MB of
// memory and 9 s to answer when every error was collected.
func validator(doc *openapi3.T, problems problemWriter) func(http.Handler) http.Handler {
	// Authentication is the auth package's job, after validation, so the
	// validator is given no security requirements: kin-openapi's security
	// check reads every request's whole body into memory first (to offer it
	// to an authentication function), even a GET's, which answered a GET
	// with a large body 413 and cost every request a body read.
	doc.Security = nil
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			op.Security = nil
		}
	}
	validate := func(everyError bool) func(http.Handler) http.Handler {
		return nethttpmiddleware.OapiRequestValidatorWithOptions(doc, &nethttpmiddleware.Options{
			Options: openapi3filter.Options{
				MultiError: everyError,
				// The handlers apply the contract's defaults themselves (window;
				// TestHandlersDefaultAsTheContractSays). Filling them into the
				// query would only make the generated wrapper parse it again.
				SkipSettingDefaults: true,
			},
			DoNotValidateServers:  true,
			SilenceServersWarning: true,
			ErrorHandlerWithOpts: func(_ context.Context, err error, w http.ResponseWriter, r *http.Request, _ nethttpmiddleware.ErrorHandlerOpts) {
				problems.write(w, r, validationError(r, err))
			},
		})
	}
	everyError, firstError := validate(true), validate(false)
	return func(next http.Handler) http.Handler {
		all, first := everyError(next), firstError(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			jsonMediaType(r)
			if r.ContentLength >= 0 && r.ContentLength <= maxListedBody {
				all.ServeHTTP(w, r)
			} else {
				first.ServeHTTP(w, r)
			}
		})
	}
}

// oneJSONValue refuses, after validation and before any operation, a body
// that is a JSON value followed by anything but white space
// (`{"value":1} garbage`, `{"value":1}{"value":2}`): kin-openapi's JSON
// body decoder and the generated strict decoder each read the first value
// only, so the rest was ignored and the first value stored, or given to an
// agent that may act for the user. The validator has read an operation's
// body into memory already, and found its first value; json.Valid checks
// that nothing follows it.
func oneJSONValue(ops map[string]operation, problems problemWriter) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !ops[reqctx.MetaFrom(r.Context()).Route].Body || r.Body == nil || r.Body == http.NoBody {
				next.ServeHTTP(w, r)
				return
			}
			data, err := io.ReadAll(r.Body)
			if err != nil {
				problems.write(w, r, validationError(r, err))
				return
			}
			if len(data) > 0 && !json.Valid(data) {
				problems.write(w, r, invalid("The request is invalid: ", []apperr.Field{{Location: "body", Name: "/", Message: notJSON + ": more follows its first value"}}))
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(data))
			next.ServeHTTP(w, r)
		})
	}
}

// notJSON is the message of a body field that is not valid JSON.
const notJSON = "the body is not valid JSON"

// maxListedBody is the largest request body in which validation looks for
// every error rather than stopping at the first.
const maxListedBody = 64 << 10

// maxListedErrors is the most errors a problem answer lists; the detail
// says how many more there were.
const maxListedErrors = 20

// validationError turns what the validator found in r into our vocabulary.
// The messages come from the schema rules (never the offending value, which
// could be anything, including a secret pasted in the wrong place), and the
// validator's own error is not kept for the log: its text holds the values.
func validationError(r *http.Request, err error) error {
	switch {
	case errors.Is(err, routers.ErrPathNotFound):
		return &apperr.Error{Kind: apperr.NotFound, Detail: "No API operation has this path.", Reason: "no_such_path"}
	case errors.Is(err, routers.ErrMethodNotAllowed):
		return &apperr.Error{Kind: apperr.NotFound, Detail: "No API operation has this method on this path.", Reason: "no_such_operation"}
	}
	var read *readError
	if errors.As(err, &read) {
		return bodyReadError(r, read)
	}
	var fields []apperr.Field
	collectFields(err, &fields)
	if len(fields) == 0 {
		fields = append(fields, apperr.Field{Location: "body", Name: "/", Message: "the request does not match the contract"})
	}
	return invalid("The request is invalid: ", fields)
}

// invalid is the 400 problem for fields, its detail naming the first
// maxListedErrors of them as "location name" after lead.
func invalid(lead string, fields []apperr.Field) *apperr.Error {
	more := len(fields) - maxListedErrors
	if more > 0 {
		fields = fields[:maxListedErrors]
	}
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.Location + " " + f.Name
	}
	detail := lead + strings.Join(names, ", ")
	if more > 0 {
		detail += fmt.Sprintf(" and %d more", more)
	}
	return &apperr.Error{Kind: apperr.Invalid, Detail: detail + ". See errors for each.", Fields: fields, Reason: "invalid_request"}
}

// jsonMediaType spells r's Content-Type as kin-openapi looks it up when
// it is application/json in another spelling: a media type is
// case-insensitive and may have spaces around its ';' (RFC 9110 8.3.1,
// 5.6.6), but kin-openapi finds the contract's content by the type as
// sent, and refused APPLICATION/JSON or "application/json ; charset=utf-8".
// The contract's request bodies are all application/json.
func jsonMediaType(r *http.Request) {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return
	}
	if norm := mime.FormatMediaType(mt, params); norm != "" && norm != ct {
		r.Header.Set("Content-Type", norm)
	}
}

func collectFields(err error, out *[]apperr.Field) {
	// A RequestError may wrap a MultiError of schema errors, so look at the
	// error itself before unwrapping.
	if multi, ok := err.(openapi3.MultiError); ok {
		for _, e := range multi {
			collectFields(e, out)
		}
		return
	}
	var reqErr *openapi3filter.RequestError
	if !errors.As(err, &reqErr) {
		return
	}
	if reqErr.Parameter != nil {
		*out = append(*out, apperr.Field{Location: reqErr.Parameter.In, Name: reqErr.Parameter.Name, Message: reasonOf(reqErr)})
		return
	}
	if reqErr.RequestBody != nil {
		if reqErr.Err == nil {
			// kin-openapi's only body error without a cause: the contract
			// has no content of the body's type.
			*out = append(*out, apperr.Field{Location: "header", Name: "Content-Type", Message: "the body must be JSON, sent with Content-Type: application/json"})
			return
		}
		var nested openapi3.MultiError
		if errors.As(reqErr.Err, &nested) {
			for _, e := range nested {
				*out = append(*out, bodyField(e))
			}
			return
		}
		*out = append(*out, bodyField(reqErr.Err))
		return
	}
	*out = append(*out, apperr.Field{Location: "body", Name: "/", Message: reqErr.Reason})
}

func bodyField(err error) apperr.Field {
	var schemaErr *openapi3.SchemaError
	if errors.As(err, &schemaErr) {
		return apperr.Field{Location: "body", Name: "/" + strings.Join(schemaErr.JSONPointer(), "/"), Message: schemaReason(schemaErr)}
	}
	var parseErr *openapi3filter.ParseError
	if errors.As(err, &parseErr) {
		return apperr.Field{Location: "body", Name: "/", Message: notJSON}
	}
	if errors.Is(err, openapi3filter.ErrInvalidRequired) {
		return apperr.Field{Location: "body", Name: "/", Message: "a request body is required"}
	}
	return apperr.Field{Location: "body", Name: "/", Message: "the body does not match the contract"}
}

func reasonOf(reqErr *openapi3filter.RequestError) string {
	var schemaErr *openapi3.SchemaError
	if errors.As(reqErr.Err, &schemaErr) {
		return schemaReason(schemaErr)
	}
	var parseErr *openapi3filter.ParseError
	if errors.As(reqErr.Err, &parseErr) {
		return "the value is not of the expected type"
	}
	if reqErr.Reason != "" {
		return reqErr.Reason
	}
	return "invalid value"
}

// schemaReason is the rule a value breaks, in kin-openapi's words except
// where those speak of its own insides.
func schemaReason(e *openapi3.SchemaError) string {
	if e.Reason == "cannot convert json.Number to float64" {
		return "the number is beyond what this API accepts (a 64-bit floating-point number, up to about 1.8e308)"
	}
	return e.Reason
}
