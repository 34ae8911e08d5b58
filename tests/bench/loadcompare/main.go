// Command loadcompare is the end-to-end benchmark of docs/BENCHMARKS.md: it
// runs the onbehalf server binary and the bare forwarder (tests/bench/bare)
// side by side against the same fake workspace, each under the same closed
// loop of concurrent users with their own tokens calling
// GET /api/unity-catalog/catalogs, and prints requests per second, P50 and
// P99 latency, their ratios, upstream calls per request (counted at the
// fake), peak resident memory, and the server's start-up time to its first
// answer.
//
// Usage:
//
//	loadcompare -server ./server -forwarder ./forwarder [-users 50] [-duration 10s] [-rounds 3]
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
)

func main() {
	serverBin := flag.String("server", "", "the onbehalf server binary")
	forwarderBin := flag.String("forwarder", "", "the forwarder binary")
	users := flag.Int("users", 50, "concurrent users")
	duration := flag.Duration("duration", 10*time.Second, "measured time of each run")
	warmup := flag.Duration("warmup", 2*time.Second, "unmeasured time before each run")
	rounds := flag.Int("rounds", 3, "runs of each subject, alternating")
	flag.Parse()
	if err := run(*serverBin, *forwarderBin, *users, *duration, *warmup, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "loadcompare:", err)
		os.Exit(1)
	}
}

// result is one measured run.
type result struct {
	requests, failures int
	rps                float64
	p50, p99           time.Duration
	upstreamPerRequest float64
	peakRSSKiB         int
	// cpuPerRequest is the subject's CPU time (user and system) per
	// answered request; harnessCPUPerRequest the same for this process,
	// which is the load generator and the fake workspace. On shared cores
	// they are steadier figures than requests per second.
	cpuPerRequest, harnessCPUPerRequest time.Duration
}

func run(serverBin, forwarderBin string, users int, duration, warmup time.Duration, rounds int) error {
	ws := fakeworkspace.New()
	ws.SetPaging(1000, false)
	ws.AddCatalog(fakeworkspace.Catalog{Name: "main", Comment: "Shared"})
	tokens := make([]string, users)
	for i := range tokens {
		name := fmt.Sprintf("bench-%02d@example.com", i)
		ws.AddUser(fakeworkspace.User{UserName: name})
		cat := fmt.Sprintf("cat_%02d", i)
		ws.AddCatalog(fakeworkspace.Catalog{Name: cat, Owner: name, Comment: "Catalog of " + name})
		ws.Grant(name, "main", cat)
		tokens[i] = ws.IssueToken(name, fakeworkspace.AllScopes...)
	}
	var upstreamCalls atomic.Int64
	inner := ws.Handler()
	fake, err := fakeworkspace.Serve("127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			upstreamCalls.Add(1)
		}
		inner.ServeHTTP(w, r)
	}))
	if err != nil {
		return err
	}
	defer fake.Close()
	stopLogReset := make(chan struct{})
	defer close(stopLogReset)
	go func() { // the fake logs every request; keep its memory bounded
		for {
			select {
			case <-stopLogReset:
				return
			case <-time.After(time.Second):
				ws.ResetRequests()
			}
		}
	}()
	id, secret := ws.ServicePrincipal()

	fmt.Printf("# %d users, %v measured after %v warm-up, %d rounds; GET /api/unity-catalog/catalogs\n\n", users, duration, warmup, rounds)
	subjects := []struct {
		name  string
		start func() (*exec.Cmd, int, time.Duration, error)
	}{
		{"onbehalf", func() (*exec.Cmd, int, time.Duration, error) {
			cmd := exec.Command(serverBin)
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir(), "DATABRICKS_HOST=" + fake.URL,
				"DATABRICKS_CLIENT_ID=" + id, "DATABRICKS_CLIENT_SECRET=" + secret, "DATABRICKS_APP_PORT=0", "LOG_LEVEL=info"}
			return startProcess(cmd, tokens[0])
		}},
		{"forwarder", func() (*exec.Cmd, int, time.Duration, error) {
			return startProcess(exec.Command(forwarderBin, "-upstream", fake.URL), tokens[0])
		}},
	}
	all := map[string][]result{}
	for r := range rounds {
		order := []int{0, 1}
		if r%2 == 1 {
			order = []int{1, 0}
		}
		for _, i := range order {
			s := subjects[i]
			cmd, port, startup, err := s.start()
			if err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			url := fmt.Sprintf("http://127.0.0.1:%d/api/unity-catalog/catalogs", port)
			load(url, tokens, warmup, cmd.Process.Pid)
			before := upstreamCalls.Load()
			res := load(url, tokens, duration, cmd.Process.Pid)
			res.upstreamPerRequest = float64(upstreamCalls.Load()-before) / float64(max(1, res.requests))
			stop(cmd)
			all[s.name] = append(all[s.name], res)
			fmt.Printf("round %d %-9s  %7.0f req/s  P50 %-9v P99 %-9v  %d failed  %.2f upstream calls/request  CPU/request %v (harness %v)  peak RSS %d MiB  start-up to first answer %v\n",
				r+1, s.name, res.rps, res.p50.Round(10*time.Microsecond), res.p99.Round(10*time.Microsecond), res.failures,
				res.upstreamPerRequest, res.cpuPerRequest.Round(time.Microsecond), res.harnessCPUPerRequest.Round(time.Microsecond),
				res.peakRSSKiB/1024, startup.Round(time.Millisecond))
		}
	}
	ours, bare := median(all["onbehalf"]), median(all["forwarder"])
	fmt.Printf("\n| | req/s | P50 | P99 | CPU/request | peak RSS |\n|---|---|---|---|---|---|\n")
	row := func(name string, r result) {
		fmt.Printf("| %s (median of %d) | %.0f | %v | %v | %v | %d MiB |\n", name, rounds, r.rps, r.p50.Round(10*time.Microsecond),
			r.p99.Round(10*time.Microsecond), r.cpuPerRequest.Round(time.Microsecond), r.peakRSSKiB/1024)
	}
	row("onbehalf", ours)
	row("bare forwarder", bare)
	fmt.Printf("| ratio onbehalf / forwarder | %.2f | %.2f | %.2f | %.2f | |\n", ours.rps/bare.rps,
		float64(ours.p50)/float64(bare.p50), float64(ours.p99)/float64(bare.p99), float64(ours.cpuPerRequest)/float64(bare.cpuPerRequest))
	// Each round's two runs were made one after the other: their ratios show
	// how much of the spread is the machine's rather than the subjects'.
	var rps, p99 []string
	for i := range all["onbehalf"] {
		o, b := all["onbehalf"][i], all["forwarder"][i]
		rps = append(rps, fmt.Sprintf("%.2f", o.rps/b.rps))
		p99 = append(p99, fmt.Sprintf("%.2f", float64(o.p99)/float64(b.p99)))
	}
	fmt.Printf("\nround by round, onbehalf / forwarder: req/s %s; P99 %s\n", strings.Join(rps, ", "), strings.Join(p99, ", "))
	return nil
}

// startProcess starts a subject, reads its port from its "listening" log
// line, and times the start-up: from exec to the first 200 answer.
func startProcess(cmd *exec.Cmd, token string) (*exec.Cmd, int, time.Duration, error) {
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, 0, 0, err
	}
	cmd.Stderr = os.Stderr
	begin := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, 0, 0, err
	}
	ports := make(chan int, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		sent := false
		for sc.Scan() { // keep draining: the server logs every request
			var rec struct {
				Msg  string `json:"msg"`
				Port int    `json:"port"`
			}
			if !sent && json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "listening" {
				ports <- rec.Port
				sent = true
			}
		}
		if !sent {
			close(ports)
		}
	}()
	var port int
	select {
	case p, ok := <-ports:
		if !ok {
			return nil, 0, 0, fmt.Errorf("exited before listening")
		}
		port = p
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		return nil, 0, 0, fmt.Errorf("no \"listening\" log line within 30s")
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/api/unity-catalog/catalogs", port)
	for {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("X-Forwarded-Access-Token", token)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return cmd, port, time.Since(begin), nil
			}
		}
		if time.Since(begin) > 30*time.Second {
			return nil, 0, 0, fmt.Errorf("no 200 answer within 30s")
		}
		time.Sleep(time.Millisecond)
	}
}

func stop(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
}

// load runs a closed loop of one goroutine per token for d and measures it.
func load(url string, tokens []string, d time.Duration, pid int) result {
	client := &http.Client{Transport: &http.Transport{
		MaxIdleConnsPerHost: 2 * len(tokens),
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	var (
		mu        sync.Mutex
		latencies []time.Duration
		failures  int
		peakRSS   int
	)
	done := make(chan struct{})
	go func() { // sample resident memory
		for {
			select {
			case <-done:
				return
			case <-time.After(100 * time.Millisecond):
				if kib := rssKiB(pid); kib > peakRSS {
					peakRSS = kib
				}
			}
		}
	}()
	cpuBefore, harnessBefore := cpuTime(pid), cpuTime(os.Getpid())
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for _, tok := range tokens {
		wg.Go(func() {
			var mine []time.Duration
			fails := 0
			for time.Now().Before(deadline) {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				req.Header.Set("X-Forwarded-Access-Token", tok)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				if err != nil || resp.StatusCode != http.StatusOK {
					fails++
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			failures += fails
			mu.Unlock()
		})
	}
	wg.Wait()
	cpu, harness := cpuTime(pid)-cpuBefore, cpuTime(os.Getpid())-harnessBefore
	close(done)
	slices.Sort(latencies)
	res := result{requests: len(latencies), failures: failures, rps: float64(len(latencies)) / d.Seconds(), peakRSSKiB: peakRSS}
	if n := len(latencies); n > 0 {
		res.p50, res.p99 = latencies[n/2], latencies[n*99/100]
		res.cpuPerRequest, res.harnessCPUPerRequest = cpu/time.Duration(n), harness/time.Duration(n)
	}
	return res
}

// rssKiB reads a process's resident memory from /proc (0 if unknown).
func rssKiB(pid int) int {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kib int
			_, _ = fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kib)
			return kib
		}
	}
	return 0
}

// cpuTime reads a process's CPU time so far, user and system, from
// /proc/PID/stat (0 if unknown). The kernel counts it in clock ticks of
// 10 ms (USER_HZ is 100 on Linux).
func cpuTime(pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name, in parentheses, may hold spaces: count fields after it.
	i := strings.LastIndexByte(string(raw), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(raw[i+1:]))
	if len(f) < 13 {
		return 0
	}
	var utime, stime int64
	_, _ = fmt.Sscan(f[11], &utime)
	_, _ = fmt.Sscan(f[12], &stime)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// median is the run with the median throughput, its own figures together.
func median(rs []result) result {
	s := slices.Clone(rs)
	slices.SortFunc(s, func(a, b result) int { return int(a.rps - b.rps) })
	return s[len(s)/2]
}
