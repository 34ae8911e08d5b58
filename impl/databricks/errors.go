package databricks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/databricks/databricks-sdk-go/apierr"
	"golang.org/x/oauth2"

	"github.com/onbehalf/onbehalf/impl/apperr"
)

// maxUpstreamMessage bounds how much of a Databricks error message is passed
// on to the client.
const maxUpstreamMessage = 300

// maxLoggedMessage bounds a Databricks error message kept as the cause of
// our error, whose text is logged: an answer that is not a Databricks error
// (a proxy's page) becomes the message whole, up to maxErrorAnswer.
const maxLoggedMessage = 4 << 10

// translate turns an error of a Databricks call into our vocabulary. It is the
// only place that knows Databricks' error shapes. parent is the context the
// call was made under (not the attempt's), to tell a client that went away
// from a call that ran out of time.
func translate(parent context.Context, err error) error {
	if err == nil {
		return nil
	}
	if e := apperr.As(err); e != nil {
		return e
	}
	switch perr := parent.Err(); {
	case errors.Is(perr, context.Canceled):
		// The client went away: nobody will read the answer, and it is no
		// failure of ours or of Databricks.
		return apperr.Wrap(apperr.Canceled, "The request was cancelled.", perr)
	case perr != nil:
		// The parent's own deadline passed (a listing's, bounding all its
		// pages like one call; see collectWindow): the client still
		// waits, and Databricks did not answer in time.
		return apperr.Wrap(apperr.Timeout, "Databricks did not answer in time.", perr)
	}
	var apiErr *apierr.APIError
	if errors.As(err, &apiErr) {
		// The service principal's calls (the user's are translated in
		// send, by what they carry) carry nothing of a client's.
		return answered(apiErr, nothing)
	}
	var retrieveErr *oauth2.RetrieveError
	if errors.As(err, &retrieveErr) {
		// The OAuth token endpoint's answer (spTokens translates it as it
		// comes; any other reaching here is translated the same way).
		return tokenEndpointFailure(retrieveErr)
	}
	if errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "request timed out after") {
		return apperr.Wrap(apperr.Timeout, "Databricks did not answer in time.", err)
	}
	var netErr *networkError
	if errors.As(err, &netErr) {
		return &apperr.Error{Kind: apperr.Upstream, Detail: "Databricks could not be reached.", Reason: "upstream_error", Err: err}
	}
	return apperr.Wrap(apperr.Internal, "The call to Databricks failed.", err)
}

// unprocessed reports whether Databricks did not take a failed call on: it
// answered 503 Service Unavailable, or no connection could be made. After
// any other failure (a 500, a 502, a connection lost once the call was sent)
// it may have acted.
func unprocessed(err error) bool {
	var apiErr *apierr.APIError
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode == http.StatusServiceUnavailable
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}

// answered translates Databricks' error answer apiErr to a call that
// carries what (see carries). Its message, kept as the error's cause whose
// text the request's log line carries, is bounded first.
func answered(apiErr *apierr.APIError, what carries) error {
	apiErr.Message = loggedMessage(apiErr.Message)
	return fromStatus(apiErr.StatusCode, apiErr.Message, retryAfter(apiErr), apiErr, what)
}

// fromStatus maps a Databricks error status to our kinds, given what of the
// client's request the call carried: 401, 403 and 429 pass on as they are;
// 5xx are upstream failures, which the retry policy retries; a 400 is
// Invalid and a 404 NotFound when the call carried names or input of the
// client's (Databricks judged them), and for an agent's input a 413 is
// TooLarge (the contract's 413) and a 422 Invalid, each with Databricks'
// message.
//
// Any other 4xx (a 400 or 404 to a call carrying nothing of the client's,
// 405, 409, 410, 413, 422, ...) is Databricks refusing a request that onbehalf
// built: our method, path, headers or body. That is a bug of ours, not the
// client's fault and not Databricks failing, so it is a 500 whose cause is
// logged under the correlation id (the contract's InternalError), not a 502
// (BadGateway is Databricks failing on every attempt). It is never retried:
// the same request would be refused again.
func fromStatus(status int, message, retryAfter string, cause error, what carries) error {
	msg := upstreamMessage(message)
	switch {
	case status == http.StatusUnauthorized:
		return &apperr.Error{Kind: apperr.Unauthenticated, Detail: "Databricks rejected the access token: " + msg, Reason: "upstream_401", Err: cause}
	case status == http.StatusForbidden:
		return &apperr.Error{Kind: apperr.Forbidden, Detail: "Databricks denied access: " + msg, Reason: "upstream_403", Err: cause}
	case status == http.StatusNotFound && what != nothing:
		return &apperr.Error{Kind: apperr.NotFound, Detail: "Databricks found nothing: " + msg, Reason: "upstream_404", Err: cause}
	case status == http.StatusTooManyRequests:
		return &apperr.Error{Kind: apperr.RateLimited, Detail: "Databricks is rate-limiting requests; try again later.", RetryAfter: retryAfter, Reason: "rate_limited", Err: cause}
	case status == http.StatusBadRequest && what != nothing:
		return &apperr.Error{Kind: apperr.Invalid, Detail: "Databricks refused the request: " + msg, Reason: "upstream_400", Err: cause}
	case status == http.StatusRequestEntityTooLarge && what == input:
		return &apperr.Error{Kind: apperr.TooLarge, Detail: "The endpoint refused the input as too large: " + msg, Reason: "upstream_413", Err: cause}
	case status == http.StatusUnprocessableEntity && what == input:
		return &apperr.Error{Kind: apperr.Invalid, Detail: "The endpoint could not process the input: " + msg, Reason: "upstream_422", Err: cause}
	case status >= 500:
		return &apperr.Error{Kind: apperr.Upstream, Detail: "Databricks failed to answer.", Reason: "upstream_error", Err: cause}
	default:
		return &apperr.Error{Kind: apperr.Internal, Detail: fmt.Sprintf("Databricks refused a request onbehalf made (HTTP %d).", status), Reason: "upstream_refused", Err: cause}
	}
}

// upstreamMessage makes a Databricks error message fit to pass on: one line,
// bounded. Databricks messages name resources and permissions, which helps
// the user; they do not echo credentials.
func upstreamMessage(m string) string {
	m = strings.Join(strings.Fields(m), " ")
	if m == "" {
		return "no reason given."
	}
	if len(m) > maxUpstreamMessage {
		m = truncate(m, maxUpstreamMessage) + "…"
	}
	return m
}

// loggedMessage cuts a message kept for the logs to maxLoggedMessage bytes,
// saying how long it was.
func loggedMessage(m string) string {
	if len(m) <= maxLoggedMessage {
		return m
	}
	tail := fmt.Sprintf("… (%d bytes read)", len(m))
	return truncate(m, maxLoggedMessage-len(tail)) + tail
}

// truncate returns at most the first n bytes of s, cut before a character
// rather than inside one.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func retryAfter(e *apierr.APIError) string {
	if e.ResponseWrapper == nil || e.ResponseWrapper.Response == nil {
		return ""
	}
	return e.ResponseWrapper.Response.Header.Get("Retry-After")
}
