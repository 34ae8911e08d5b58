package e2e

import (
	"errors"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
)

const (
	// serverDrain is cmd/server's drainTime: how long a shutdown waits for
	// the requests in flight before it cuts them.
	serverDrain = 10 * time.Second
	// platformKill is how long Databricks Apps waits after SIGTERM before
	// it kills the app.
	platformKill = 15 * time.Second
	agentPath    = "/serving-endpoints/agent-chat/invocations"
	invokePath   = "/api/model-serving/endpoints/agent-chat/invocations"
)

// timedAnswer is an answer (or error) and when it came.
type timedAnswer struct {
	answer
	err error
	at  time.Time
}

// invokeAsync sends an agent invocation as the holder of token, with the
// request id id, and returns where its answer will come.
func invokeAsync(s *serverProc, token, id string) <-chan timedAnswer {
	ch := make(chan timedAnswer, 1)
	go func() {
		a, err := s.try("POST", invokePath, token, []byte(`{"input":[{"role":"user","content":"book the flight"}]}`), "X-Request-Id", id)
		ch <- timedAnswer{a, err, time.Now()}
	}()
	return ch
}

// waitArrivals waits until the fake has seen n agent invocations.
func waitArrivals(t *testing.T, f *fakeProc, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(arrivals(t, f, agentPath)) < n {
		if time.Now().After(deadline) {
			t.Fatalf("the fake saw %d agent invocations, want %d", len(arrivals(t, f, agentPath)), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitShuttingDown waits for the server's "shutting down" line.
func waitShuttingDown(t *testing.T, s *serverProc) map[string]any {
	t.Helper()
	got := s.waitLogs(t, 1, "msg", "shutting down")
	if len(got) == 0 {
		t.Fatal("no \"shutting down\" line within 5s of the signal")
	}
	return got[0]
}

// waitExit waits up to within for the server to exit, and returns when and
// how it exited (nil for status 0).
func waitExit(t *testing.T, s *serverProc, within time.Duration) (time.Time, error) {
	t.Helper()
	select {
	case <-s.eof: // the process has exited and its output is read
	case <-time.After(within):
		t.Fatalf("the server still runs %v later", within)
	}
	at := time.Now()
	return at, s.cmd.Wait()
}

// TestShutdownDrainsThenCutsWhatOutlastsIt: on SIGTERM the server stops
// taking connections, answers the requests that end within its drain time,
// and cuts those that do not at that time, well before Databricks Apps kills
// it 15 s after the signal: the cut request is answered 503 shutting_down
// and has its request and auth_event lines, and the process exits 0.
func TestShutdownDrainsThenCutsWhatOutlastsIt(t *testing.T) {
	st := startStack(t, nil)
	alice, bob := st.fake.userToken(t, fakeworkspace.Alice), st.fake.userToken(t, fakeworkspace.Bob)
	// Alice's agent outlasts the drain; Bob's ends within it.
	st.fake.fault(t, fakeworkspace.Fault{Path: agentPath, Token: alice, Delay: 25 * time.Second})
	st.fake.fault(t, fakeworkspace.Fault{Path: agentPath, Token: bob, Delay: 2 * time.Second})

	long := invokeAsync(st.server, alice, "shutdown-cut-alice")
	short := invokeAsync(st.server, bob, "shutdown-drained-bob")
	waitArrivals(t, st.fake, 2)

	signaled := time.Now()
	if err := st.server.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if line := waitShuttingDown(t, st.server); line["drain_ms"] != float64(serverDrain.Milliseconds()) {
		t.Errorf("shutting down line %v, want drain_ms %d", line, serverDrain.Milliseconds())
	}

	// New connections are refused at once.
	refused := false
	for deadline := time.Now().Add(time.Second); !refused && time.Now().Before(deadline); {
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(st.server.URL, "http://"), 200*time.Millisecond)
		if err != nil {
			refused = true
		} else {
			c.Close()
			time.Sleep(20 * time.Millisecond)
		}
	}
	if !refused {
		t.Error("the server still takes new connections 1s after \"shutting down\"")
	}

	// Bob's invocation ends within the drain time: its answer as usual.
	b := <-short
	if b.err != nil || b.Status != 200 || !strings.Contains(string(b.Raw), "book the flight") {
		t.Errorf("the invocation that ends within the drain: %v %d %s, want 200 with the agent's answer", b.err, b.Status, b.Raw)
	}

	// Alice's is cut at the drain time, with an answer that says so.
	a := <-long
	if took := a.at.Sub(signaled); a.err != nil {
		t.Errorf("the cut invocation got no answer, %v after SIGTERM: %v", took, a.err)
	} else {
		if took < serverDrain-500*time.Millisecond || took > serverDrain+1500*time.Millisecond {
			t.Errorf("the cut invocation was answered %v after SIGTERM, want about %v", took, serverDrain)
		}
		wantProblem(t, a.answer, 503, "shutting_down")
	}

	exited, exitErr := waitExit(t, st.server, platformKill)
	if took := exited.Sub(signaled); took > serverDrain+2*time.Second {
		t.Errorf("the server exited %v after SIGTERM, want within %v (Databricks Apps kills it at %v)", took, serverDrain+2*time.Second, platformKill)
	}
	if exitErr != nil {
		t.Errorf("the server exited with %v after a shutdown that went as designed, want status 0", exitErr)
	}

	// Every request has its lines, the cut one too.
	for _, tc := range []struct {
		id, status, reason string
	}{{"shutdown-cut-alice", "503", "shutting_down"}, {"shutdown-drained-bob", "200", "<nil>"}} {
		if req := st.server.logsWhere("msg", "request", "correlation_id", tc.id); len(req) != 1 ||
			len(st.server.logsWhere("msg", "request", "correlation_id", tc.id, "status", tc.status, "reason", tc.reason)) != 1 {
			t.Errorf("%s: request lines %v, want one with status %s and reason %s", tc.id, req, tc.status, tc.reason)
		}
		if ev := st.server.logsWhere("msg", "auth_event", "correlation_id", tc.id, "decision", "success"); len(ev) != 1 {
			t.Errorf("%s: auth_event lines %v, want one success", tc.id, ev)
		}
	}
	if cut := st.server.logsWhere("msg", "cutting the requests still running"); len(cut) != 1 {
		t.Errorf("%d lines say the requests still running were cut, want 1", len(cut))
	}
	if n := len(arrivals(t, st.fake, agentPath)); n != 2 {
		t.Errorf("the fake saw %d agent invocations, want 2 (one each)", n)
	}
}

// TestShutdownEndsAtASecondSignal: a second SIGINT or SIGTERM while the
// server drains ends it at once, as Go does by default (Ctrl-C twice).
func TestShutdownEndsAtASecondSignal(t *testing.T) {
	st := startStack(t, nil)
	alice := st.fake.userToken(t, fakeworkspace.Alice)
	st.fake.fault(t, fakeworkspace.Fault{Path: agentPath, Delay: 25 * time.Second})
	pending := invokeAsync(st.server, alice, "shutdown-second-signal")
	waitArrivals(t, st.fake, 1)

	if err := st.server.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitShuttingDown(t, st.server)
	again := time.Now()
	if err := st.server.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	exited, exitErr := waitExit(t, st.server, 3*time.Second)
	if took := exited.Sub(again); took > time.Second {
		t.Errorf("the server ended %v after the second signal, want at once", took)
	}
	var ee *exec.ExitError
	if !errors.As(exitErr, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGINT {
		t.Errorf("the server ended with %v, want killed by the second signal (SIGINT)", exitErr)
	}
	<-pending // the connection went with the process
}
