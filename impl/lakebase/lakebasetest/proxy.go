package lakebasetest

import (
	"encoding/binary"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
)

// Proxy is a TCP proxy between the app and Postgres that a test controls,
// to take the database away and bring it back without touching the shared
// Postgres.
type Proxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]struct{}
	// stalled is open while the proxy holds every byte (Stall), and closed
	// by Restore.
	stalled chan struct{}
	// validPassword, when set, is the login check (RequirePassword).
	validPassword   func(password string) bool
	logins, refused int
}

// NewProxy forwards a local port to target (host:port) until the test ends.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	go p.serve()
	t.Cleanup(func() {
		_ = ln.Close()
		p.Restore()
		p.Cut()
	})
	return p
}

// Through returns dbURL with its host and port replaced by the proxy's.
func (p *Proxy) Through(t testing.TB, dbURL string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = p.ln.Addr().String()
	return u.String()
}

// Cut takes the database away: every open connection is closed, and new
// ones are closed as soon as they arrive, until Restore.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		_ = c.Close()
	}
	clear(p.conns)
}

// Stall makes the database silent, like a network that drops packets: the
// open connections and new ones stay open, but nothing passes either way
// until Restore.
func (p *Proxy) Stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stalled == nil {
		p.stalled = make(chan struct{})
	}
}

// Restore brings the database back, after Cut or Stall.
func (p *Proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
	if p.stalled != nil {
		close(p.stalled)
		p.stalled = nil
	}
}

// waitWhileStalled blocks while the proxy is stalled.
func (p *Proxy) waitWhileStalled() {
	p.mu.Lock()
	ch := p.stalled
	p.mu.Unlock()
	if ch != nil {
		<-ch
	}
}

func (p *Proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.forward(c)
	}
}

func (p *Proxy) forward(client net.Conn) {
	p.waitWhileStalled()
	if !p.track(client) {
		_ = client.Close()
		return
	}
	var startup []byte
	if valid := p.passwordCheck(); valid != nil {
		var ok bool
		if startup, ok = p.login(client, valid); !ok {
			_ = client.Close()
			p.untrack(client)
			return
		}
	}
	server, err := net.Dial("tcp", p.target)
	if err != nil || !p.track(server) {
		_ = client.Close()
		if server != nil {
			_ = server.Close()
		}
		p.untrack(client)
		return
	}
	if len(startup) > 0 { // the client's startup message, read by login
		if _, err := server.Write(startup); err != nil {
			_ = client.Close()
			_ = server.Close()
			p.untrack(client, server)
			return
		}
	}
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		defer func() { done <- struct{}{} }()
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				p.waitWhileStalled()
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}
	go pipe(server, client)
	go pipe(client, server)
	<-done
	_ = client.Close()
	_ = server.Close()
	p.untrack(client, server)
}

func (p *Proxy) untrack(conns ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range conns {
		delete(p.conns, c)
	}
}

// RequirePassword makes the proxy check each new connection's login itself,
// as Lakebase checks its OAuth credentials: it asks the client for a
// password (in clear text: the connection is local), lets the connection
// through to Postgres only when valid says yes, and otherwise answers as
// Postgres does (FATAL 28P01) and closes it. The shared Postgres trusts
// every local login, so without this no test could tell a good password
// from a stale one. Open connections are not asked again: as on Lakebase, a
// credential is checked when a connection logs in.
func (p *Proxy) RequirePassword(valid func(password string) bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.validPassword = valid
}

// Logins returns how many logins the password check let through and how
// many it refused.
func (p *Proxy) Logins() (accepted, refused int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logins, p.refused
}

func (p *Proxy) passwordCheck() func(string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.validPassword
}

// Protocol codes of the PostgreSQL startup phase.
const (
	sslRequestCode    = 80877103
	gssEncRequestCode = 80877104
	cancelRequestCode = 80877102
)

// login runs the startup phase with the client, up to its password, and
// returns the startup message to send on to Postgres once the password is
// valid.
func (p *Proxy) login(client net.Conn, valid func(string) bool) ([]byte, bool) {
	for {
		msg, ok := readStartup(client)
		if !ok {
			return nil, false
		}
		switch binary.BigEndian.Uint32(msg[4:8]) {
		case sslRequestCode, gssEncRequestCode:
			if _, err := client.Write([]byte{'N'}); err != nil { // no encryption here
				return nil, false
			}
			continue
		case cancelRequestCode:
			return msg, true // Postgres checks the cancel key itself
		}
		// AuthenticationCleartextPassword.
		if _, err := client.Write([]byte{'R', 0, 0, 0, 8, 0, 0, 0, 3}); err != nil {
			return nil, false
		}
		password, ok := readPassword(client)
		if !ok {
			return nil, false
		}
		accepted := valid(password) // may take a while: not under the lock
		p.mu.Lock()
		if accepted {
			p.logins++
		} else {
			p.refused++
		}
		p.mu.Unlock()
		if accepted {
			return msg, true
		}
		_, _ = client.Write(errorResponse("28P01", "password authentication failed (lakebasetest proxy: not a valid credential)"))
		return nil, false
	}
}

// readStartup reads one untyped startup-phase message: its length, then the
// rest.
func readStartup(c net.Conn) ([]byte, bool) {
	var head [4]byte
	if _, err := io.ReadFull(c, head[:]); err != nil {
		return nil, false
	}
	n := binary.BigEndian.Uint32(head[:])
	if n < 8 || n > 10000 {
		return nil, false
	}
	msg := make([]byte, n)
	copy(msg, head[:])
	if _, err := io.ReadFull(c, msg[4:]); err != nil {
		return nil, false
	}
	return msg, true
}

// readPassword reads a PasswordMessage ('p') and returns its password.
func readPassword(c net.Conn) (string, bool) {
	var head [5]byte
	if _, err := io.ReadFull(c, head[:]); err != nil || head[0] != 'p' {
		return "", false
	}
	n := binary.BigEndian.Uint32(head[1:])
	if n < 5 || n > 100000 {
		return "", false
	}
	body := make([]byte, n-4)
	if _, err := io.ReadFull(c, body); err != nil || body[len(body)-1] != 0 {
		return "", false
	}
	return string(body[:len(body)-1]), true
}

// errorResponse is a FATAL ErrorResponse message with code and message.
func errorResponse(code, message string) []byte {
	var fields []byte
	for _, f := range []struct {
		tag   byte
		value string
	}{{'S', "FATAL"}, {'V', "FATAL"}, {'C', code}, {'M', message}} {
		fields = append(fields, f.tag)
		fields = append(append(fields, f.value...), 0)
	}
	fields = append(fields, 0)
	msg := []byte{'E', 0, 0, 0, 0}
	binary.BigEndian.PutUint32(msg[1:], uint32(4+len(fields)))
	return append(msg, fields...)
}

// track records c as open, or reports false while the proxy is cut.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}
