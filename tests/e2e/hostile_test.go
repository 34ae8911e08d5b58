package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
	"github.com/onbehalf/onbehalf/tests/hostile"
)

// sendRaw writes the case to the server as bytes on a new connection,
// exactly as generated (no client library cleaning it up), and reads the
// answer.
func sendRaw(addr string, c hostile.Case, token string) (*http.Response, []byte, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, nil, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\n", c.Method, c.Target)
	header := map[string]string{"Host": addr, "Connection": "close", "X-Forwarded-Access-Token": token}
	if c.Body != nil {
		header["Content-Type"] = "application/json"
		header["Content-Length"] = fmt.Sprint(len(c.Body))
	}
	for k, v := range c.Header {
		header[k] = v
	}
	for k, v := range header {
		fmt.Fprintf(&b, "%s: %s\r\n", k, v)
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(conn, b.String()); err != nil {
		return nil, nil, err
	}
	_, _ = conn.Write(c.Body) // the server may answer (413) before reading it all
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, raw, nil
}

// goFramingAnswer reports whether an answer is net/http's own refusal of a
// request it could not parse as HTTP (before any handler runs): a plain-text
// 400 or 431, or the 501 that RFC 9112 prescribes for an unknown
// Transfer-Encoding.
func goFramingAnswer(resp *http.Response, raw []byte) bool {
	plain := strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain")
	switch resp.StatusCode {
	case 400, 431:
		return plain && strings.HasPrefix(string(raw), fmt.Sprint(resp.StatusCode))
	case 501:
		return plain && strings.Contains(string(raw), "Unsupported transfer encoding")
	}
	return false
}

// The hostile sweep against the real binary over raw TCP: every request
// generated from the contract gets a documented problem answer (or net/http's
// own refusal of unparseable HTTP), never a 5xx from our code, and the
// server is still up and serving afterwards, having logged no internal
// error.
func TestHostileSweepAgainstBinary(t *testing.T) {
	st := startStack(t, nil, "DATABASE_URL="+testDatabase(t))
	alice := st.fake.userToken(t, fakeworkspace.Alice)
	doc, router, err := hostile.Contract()
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(st.server.URL, "http://")
	cases := hostile.Cases(doc)
	if testing.Short() {
		cases = cases[:len(cases)/4]
	}
	framing, failed := 0, 0
	for _, c := range cases {
		resp, raw, err := sendRaw(addr, c, alice)
		if err != nil {
			t.Fatalf("%s [%s]: %v (is the server down?)", c.Target, c.Name, err)
		}
		if goFramingAnswer(resp, raw) {
			framing++
			continue
		}
		if err := hostile.Check(router, c, resp.StatusCode, resp.Header, raw); err != nil {
			if failed++; failed <= 30 {
				t.Errorf("%s %.80s [%s]: %v", c.Method, c.Target, c.Name, err)
			}
		}
	}
	t.Logf("%d hostile requests over TCP, %d refused by net/http's parser, %d failed", len(cases), framing, failed)

	if a := st.server.get(t, "/healthz", ""); a.Status != 200 {
		t.Fatalf("healthz after the sweep: %d", a.Status)
	}
	if a := st.server.get(t, "/api/user/me", alice); a.Status != 200 || a.JSON["user_id"] != fakeworkspace.Alice {
		t.Fatalf("a normal request after the sweep: %d %s", a.Status, a.Raw)
	}
	if bad := st.server.logsWhere("level", "ERROR"); len(bad) > 0 {
		t.Fatalf("the server logged %d errors during the sweep, e.g. %v", len(bad), bad[0])
	}
	if strings.Contains(st.server.stdout(), "panic") {
		t.Fatal("the server's output mentions a panic")
	}
}

// Requests that are not well-formed HTTP at all: net/http refuses them
// before any handler runs (a 4xx, or the 501 RFC 9112 prescribes for an
// unknown transfer coding), and the server stays up.
func TestMalformedHTTPKeepsServerUp(t *testing.T) {
	st := startStack(t, nil)
	addr := strings.TrimPrefix(st.server.URL, "http://")
	for name, raw := range map[string]string{
		"space in target":        "GET /api/user/me x HTTP/1.1\r\nHost: a\r\n\r\n",
		"NUL in header":          "GET /api/user/me HTTP/1.1\r\nHost: a\r\nX-Forwarded-Access-Token: a\x00b\r\n\r\n",
		"header without colon":   "GET /api/user/me HTTP/1.1\r\nHost: a\r\nnonsense\r\n\r\n",
		"header over 1 MiB":      "GET /api/user/me HTTP/1.1\r\nHost: a\r\nX-Big: " + strings.Repeat("a", 2<<20) + "\r\n\r\n",
		"negative length":        "PUT /api/preferences/k HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
		"two lengths":            "PUT /api/preferences/k HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
		"bad chunk":              "PUT /api/preferences/k HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
		"unknown coding":         "PUT /api/preferences/k HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: br\r\n\r\n{}",
		"HTTP/2 preface on h1":   "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
		"no host":                "GET /api/user/me HTTP/1.1\r\n\r\n",
		"absolute URL elsewhere": "GET http://evil.example.com/api/user/me HTTP/1.1\r\nHost: a\r\n\r\n",
		"garbage":                "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
	} {
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// A request cut short (the garbage) gets no answer: the server waits
		// for the rest until its ReadHeaderTimeout, and the read here gives up.
		_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
		_, _ = io.WriteString(conn, raw)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err == nil {
			ok := resp.StatusCode >= 400 && resp.StatusCode < 500 || resp.StatusCode == 501 && strings.Contains(raw, "Transfer-Encoding: br")
			if !ok {
				t.Errorf("%s: status %d", name, resp.StatusCode)
			}
			resp.Body.Close()
		}
		conn.Close()
	}
	if a := st.server.get(t, "/healthz", ""); a.Status != 200 {
		t.Fatalf("healthz after malformed requests: %d", a.Status)
	}
}
