package databricks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"

	"github.com/databricks/databricks-sdk-go/apierr"
	"github.com/databricks/databricks-sdk-go/common"

	"github.com/onbehalf/onbehalf/impl/apperr"
	"github.com/onbehalf/onbehalf/impl/reqctx"
)

// userAgent names onbehalf to Databricks on the user's calls.
const userAgent = "onbehalf"

// call is one HTTP request of a user's call: method, path and query on the
// workspace host, the JSON body to send (nil for none), and what of the
// client's request it carries.
type call struct {
	method  string
	path    string
	query   url.Values
	body    any
	carries carries
}

// carries is what of the client's request a call passes to Databricks,
// which decides whose fault Databricks refusing the call is (see fromStatus).
type carries int

const (
	// nothing: only what onbehalf chose (the current user, a listing's
	// page size and token, the service principal's calls). Any 4xx refusal
	// but 401, 403 and 429 is ours, a 400 and a 404 included.
	nothing carries = iota
	// names: names the client gave (a catalog, schema or endpoint). A 400
	// is Databricks judging them: the client's to fix.
	names
	// input: the client's own input as the body (an agent invocation's
	// messages and custom inputs). A 400, 413 or 422 is the client's.
	input
)

// send makes one attempt of c with the token of the context's credential and
// returns the answer's body, read in full (bounded by the attempt's context).
// An error answer becomes the SDK's *apierr.APIError, parsed by the SDK's own
// error parser, so that translate maps it exactly as for the SDK's calls. An
// answer header named in header, if any, is copied into *headerValue.
//
// Why not the SDK's ApiClient.Do: per call it encodes the query by
// reflection, builds the user agent, runs header visitors and retry
// bookkeeping with its retries off; that was about 40% of the CPU of a whole
// listing request (docs/BENCHMARKS.md). A plain request does the same job.
func (c *UserClient) send(ctx context.Context, r call, header string, headerValue *string) ([]byte, error) {
	cred, ok := reqctx.CredentialFrom(ctx)
	if !ok {
		return nil, errNoCredential
	}
	var u string
	if len(r.query) > 0 {
		u = c.host + r.path + "?" + r.query.Encode()
	} else {
		u = c.host + r.path
	}
	var body io.Reader
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+cred.Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return exchange(ctx, c.http, req, r.carries, header, headerValue)
}

// exchange sends req (adding the Accept and User-Agent headers) through
// client and returns the answer's body, read in full, as send describes:
// an error answer as the SDK's parser reads it, translated by what the call
// carries; a read cut by ctx as ctx's error.
func exchange(ctx context.Context, client *http.Client, req *http.Request, what carries, header string, headerValue *string) ([]byte, error) {
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	// The SDK's parser finds an error in an error answer, and in a success
	// answered after a redirect to the private-link login page (a workspace
	// whose network rules refuse the caller). An answer of 2xx or 3xx from
	// the path asked is neither, and is most answers: it is spared the
	// parser's allocations.
	if resp.StatusCode >= 400 || resp.Request == nil || resp.Request.URL.Path != req.URL.Path {
		if err := apierr.GetAPIError(ctx, common.ResponseWrapper{ReadCloser: resp.Body, Response: resp}); err != nil {
			var apiErr *apierr.APIError
			if errors.As(err, &apiErr) {
				return nil, answered(apiErr, what)
			}
			return nil, err
		}
	}
	raw, err := readBody(resp)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err() // the attempt ran out while reading: a timeout
		}
		if errors.Is(err, errAnswerTooLarge) {
			return nil, &apperr.Error{Kind: apperr.Upstream, Reason: "upstream_error", Err: err,
				Detail: "Databricks answered with more than onbehalf reads (32 MiB)."}
		}
		return nil, &networkError{err: err}
	}
	if header != "" {
		*headerValue = resp.Header.Get(header)
	}
	return raw, nil
}

// getJSON makes r a GET call under the retry policy and decodes the answer
// into out.
func (c *UserClient) getJSON(ctx context.Context, operation string, r call, out any) error {
	r.method = http.MethodGet
	return c.retry.do(ctx, operation, c.observe, func(ctx context.Context) error {
		raw, err := c.send(ctx, r, "", nil)
		if err != nil {
			return err
		}
		return decodeAnswer(raw, out)
	})
}

// decodeAnswer decodes a successful answer into out. An answer that is not
// the JSON expected (an HTML page from a proxy in between, say) is
// Databricks failing to answer, a 502, not a bug of ours.
func decodeAnswer(raw []byte, out any) error {
	if err := json.Unmarshal(raw, out); err != nil {
		return &apperr.Error{Kind: apperr.Upstream, Detail: "Databricks answered with something other than the JSON expected.", Reason: "upstream_error", Err: err}
	}
	return nil
}

// maxSizedBody is the largest body read into a buffer sized from its
// Content-Length; a larger or unsized one is read as it comes.
const maxSizedBody = 1 << 20

// maxAnswer is the most of an answer that is read: far more than any page or
// agent answer, and a bound on the memory one call can take.
const maxAnswer = 32 << 20

var errAnswerTooLarge = errors.New("the answer is larger than 32 MiB")

// readBody reads resp's body in full, into one buffer when its length is
// known (io.ReadAll would grow its buffer several times on the way), and
// no more than maxAnswer bytes of it.
func readBody(resp *http.Response) ([]byte, error) {
	n := resp.ContentLength
	if n > maxAnswer {
		return nil, errAnswerTooLarge
	}
	if n >= 0 && n <= maxSizedBody {
		b := make([]byte, n)
		_, err := io.ReadFull(resp.Body, b)
		return b, err
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err == nil && len(b) > maxAnswer {
		return nil, errAnswerTooLarge
	}
	return b, err
}
