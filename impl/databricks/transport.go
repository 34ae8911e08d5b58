package databricks

import (
	"io"
	"net"
	"net/http"
	"time"
)

// networkError marks a failure to reach Databricks at all (refused, reset,
// DNS). Its message deliberately avoids the phrases ("connection reset by
// peer", "i/o timeout", ...) that make the SDK's ApiClient retry an I/O error
// by itself, so that our RetryPolicy stays the only retry policy.
type networkError struct{ err error }

func (e *networkError) Error() string { return "network failure talking to Databricks" }
func (e *networkError) Unwrap() error { return e.err }

// maxErrorAnswer is the most of an error answer (status 400 or more) that
// is read. Databricks' errors are JSON documents of a few hundred bytes; the
// SDK's error parser, which reads them for both clients, reads whatever it
// is given in full, and a proxy's error page can be any size.
const maxErrorAnswer = 64 << 10

// transport is the HTTP transport of every Databricks client: pooled
// keep-alive connections to the one workspace host, network failures marked
// as networkError, and error answers cut at maxErrorAnswer.
type transport struct{ next http.RoundTripper }

func (t transport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if err != nil && r.Context().Err() == nil {
		return nil, &networkError{err: err}
	}
	if err == nil && resp.StatusCode >= 400 {
		// What is left unread is not drained: closing the body drops the
		// connection, which is cheaper than reading the rest of a large
		// answer.
		resp.Body = boundedBody{Reader: io.LimitReader(resp.Body, maxErrorAnswer), Closer: resp.Body}
	}
	return resp, err
}

// boundedBody reads at most a bound of a body and closes the whole of it.
type boundedBody struct {
	io.Reader
	io.Closer
}

// newTransport returns a transport sized for many concurrent users of one
// workspace: the SDK's default keeps GOMAXPROCS+1 idle connections per host,
// which makes a busy server open and close connections all the time.
func newTransport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          512,
			MaxIdleConnsPerHost:   256,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
		}
	}
	return transport{next: base}
}
