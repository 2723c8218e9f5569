package densemcp_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/densemcp/densemcp"
	"github.com/densemcp/densemcp/ops"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads a Prometheus text exposition.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	return fams
}

// metric finds the series of family name whose labels include want
// (label=value pairs); absent labels in want must be absent or empty.
func metric(fams map[string]*dto.MetricFamily, name string, want ...string) *dto.Metric {
	f := fams[name]
	if f == nil {
		return nil
	}
next:
	for _, m := range f.Metric {
		got := map[string]string{}
		for _, l := range m.Label {
			got[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(want); i += 2 {
			if got[want[i]] != want[i+1] {
				continue next
			}
		}
		return m
	}
	return nil
}

func counterValue(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	m := metric(fams, name, labels...)
	if m == nil {
		return 0
	}
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	}
	t.Fatalf("%s%v is neither counter nor gauge", name, labels)
	return 0
}

// histCount returns a duration series' count, checking that its buckets
// are cumulative and end at the count.
func histCount(t *testing.T, fams map[string]*dto.MetricFamily, labels ...string) uint64 {
	t.Helper()
	m := metric(fams, "mcp_server_operation_duration_seconds", labels...)
	if m == nil {
		return 0
	}
	h := m.Histogram
	var prev uint64
	for _, b := range h.Bucket {
		if b.GetCumulativeCount() < prev {
			t.Fatalf("%v: buckets not cumulative", labels)
		}
		prev = b.GetCumulativeCount()
	}
	if prev > h.GetSampleCount() {
		t.Fatalf("%v: buckets %d > count %d", labels, prev, h.GetSampleCount())
	}
	if h.GetSampleCount() > 0 && h.GetSampleSum() <= 0 {
		t.Fatalf("%v: count %d with sum %v", labels, h.GetSampleCount(), h.GetSampleSum())
	}
	return h.GetSampleCount()
}

// serveBoth runs NDJSON and HTTP on loopback ports until ctx ends; done
// receives Serve's result.
func serveBoth(t *testing.T, ctx context.Context, s *densemcp.Server) (tcpAddr, url string, done chan error) {
	t.Helper()
	tcpAddr, httpAddr := freeAddr(t), freeAddr(t)
	done = make(chan error, 1)
	go func() { done <- s.ListenAndServe(ctx, tcpAddr, httpAddr) }()
	deadline := time.Now().Add(10 * time.Second)
	for s.Ready() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("server never ready: %v", s.Ready())
		}
		time.Sleep(5 * time.Millisecond)
	}
	return tcpAddr, "http://" + httpAddr + "/mcp", done
}

func modernCall(name string, id int) string {
	return post("127.0.0.1", `{"jsonrpc":"2.0","id":`+itoa(id)+`,"method":"tools/call","params":{"name":"`+name+`","arguments":{"text":"x"},`+modernMeta+`}}`,
		"MCP-Protocol-Version: 2026-07-28", "Mcp-Method: tools/call", "Mcp-Name: "+name)
}

func itoa(i int) string { return strconv.Itoa(i) }

// A scripted run over every transport (NDJSON, legacy and modern HTTP,
// stdio), then /metrics: request counts by method, tool, error type and
// transport match what was sent, including a failing tool, an unknown
// tool, a refusal by the full worker pool and one by MaxSessions.
func TestMetricsAfterScriptedRun(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	opts := &densemcp.Options{Workers: 1, Metrics: true}
	opts.Engine.HTTP.MaxSessions = 1
	s := newTestServer(t, opts, func(s *densemcp.Server) {
		must(t, s.AddRawTool(&densemcp.Tool{Name: "fail", Inline: true}, func(context.Context, *densemcp.Request, json.RawMessage) error {
			return errors.New("it failed")
		}))
		must(t, s.AddRawTool(&densemcp.Tool{Name: "slow"}, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
			started <- struct{}{}
			<-release
			req.Result.AddText("done")
			return nil
		}))
	})
	admin := httptest.NewServer(ops.Handler(s))
	defer admin.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tcpAddr, url, done := serveBoth(t, ctx, s)

	// NDJSON, legacy: initialize, 3 echo, 1 fail, 1 unknown tool, ping,
	// then a slow call that takes the only worker and one refused.
	l := dialLines(t, tcpAddr)
	l.initLegacy()
	for i := range 3 {
		if a := l.roundTrip(`{"jsonrpc":"2.0","id":` + itoa(10+i) + `,"method":"tools/call","params":{"name":"echo","arguments":{"text":"x"}}}`); !strings.Contains(a, `"result"`) {
			t.Fatalf("echo: %s", a)
		}
	}
	if a := l.roundTrip(`{"jsonrpc":"2.0","id":20,"method":"tools/call","params":{"name":"fail"}}`); !strings.Contains(a, `"isError":true`) {
		t.Fatalf("fail: %s", a)
	}
	if a := l.roundTrip(`{"jsonrpc":"2.0","id":21,"method":"tools/call","params":{"name":"nope"}}`); !strings.Contains(a, `-32602`) {
		t.Fatalf("unknown tool: %s", a)
	}
	l.expectPing()
	l.send(`{"jsonrpc":"2.0","id":30,"method":"tools/call","params":{"name":"slow"}}` + "\n")
	<-started
	if a := l.roundTrip(`{"jsonrpc":"2.0","id":31,"method":"tools/call","params":{"name":"slow"}}`); !strings.Contains(a, `-32000`) {
		t.Fatalf("full pool: %s", a)
	}
	close(release)
	if a := l.recv(); !strings.Contains(a, `"done"`) {
		t.Fatalf("slow: %s", a)
	}

	// HTTP, legacy: one session, 2 echo; a second initialize meets
	// MaxSessions (503).
	sid := openLegacySession(t, url, "127.0.0.1")
	for i := range 2 {
		resp, body := rawHTTP(t, url, post("127.0.0.1", `{"jsonrpc":"2.0","id":`+itoa(40+i)+`,"method":"tools/call","params":{"name":"echo","arguments":{"text":"x"}}}`,
			"Mcp-Session-Id: "+sid, "MCP-Protocol-Version: 2025-11-25"))
		if resp.StatusCode != 200 || !strings.Contains(body, `"result"`) {
			t.Fatalf("legacy HTTP echo: %d %s", resp.StatusCode, body)
		}
	}
	if resp, _ := rawHTTP(t, url, post("127.0.0.1", initBody)); resp.StatusCode != 503 {
		t.Fatalf("initialize past MaxSessions: %d", resp.StatusCode)
	}

	// HTTP, modern: 2 echo, 1 fail.
	for i, name := range []string{"echo", "echo", "fail"} {
		resp, body := rawHTTP(t, url, modernCall(name, 50+i))
		if resp.StatusCode != 200 || !strings.Contains(body, `"result"`) {
			t.Fatalf("modern %s: %d %s", name, resp.StatusCode, body)
		}
	}

	// stdio: initialize and one echo, scraped while the session is open.
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	stdioDone := make(chan error, 1)
	go func() { stdioDone <- s.ServeStdio(ctx, inR, outW) }()
	out := bufio.NewReader(outR)
	stdioRound := func(line string) string {
		t.Helper()
		if _, err := io.WriteString(inW, line+"\n"); err != nil {
			t.Fatal(err)
		}
		got, err := out.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	stdioRound(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`)
	_, _ = io.WriteString(inW, `{"jsonrpc":"2.0","method":"notifications/initialized"}`+"\n")
	if a := stdioRound(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"x"}}}`); !strings.Contains(a, `"result"`) {
		t.Fatalf("stdio echo: %s", a)
	}

	fams := scrape(t, admin.URL+"/metrics")
	f := func(want uint64, labels ...string) {
		t.Helper()
		if got := histCount(t, fams, labels...); got != want {
			t.Errorf("duration count %v = %d, want %d", labels, got, want)
		}
	}
	const m, tool, et, nt, np = "mcp_method_name", "gen_ai_tool_name", "error_type", "network_transport", "network_protocol_name"
	f(3, m, "tools/call", tool, "echo", et, "", nt, "tcp", np, "")
	f(4, m, "tools/call", tool, "echo", et, "", nt, "tcp", np, "http")
	f(1, m, "tools/call", tool, "echo", et, "", nt, "pipe", np, "")
	f(1, m, "tools/call", tool, "fail", et, "tool_error", nt, "tcp", np, "")
	f(1, m, "tools/call", tool, "fail", et, "tool_error", nt, "tcp", np, "http")
	f(1, m, "tools/call", tool, "", et, "-32602", nt, "tcp", np, "")
	f(1, m, "tools/call", tool, "slow", et, "", nt, "tcp", np, "")
	f(1, m, "tools/call", tool, "slow", et, "-32000", nt, "tcp", np, "")
	f(1, m, "initialize", et, "", nt, "tcp", np, "")
	f(1, m, "initialize", et, "", nt, "tcp", np, "http")
	f(1, m, "initialize", et, "", nt, "pipe", np, "")
	f(1, m, "ping", et, "", nt, "tcp", np, "")
	c := func(want float64, name string, labels ...string) {
		t.Helper()
		if got := counterValue(t, fams, name, labels...); got != want {
			t.Errorf("%s%v = %v, want %v", name, labels, got, want)
		}
	}
	c(8, "mcp_server_tool_calls_total", tool, "echo", "outcome", "ok")
	c(2, "mcp_server_tool_calls_total", tool, "fail", "outcome", "tool_error")
	c(1, "mcp_server_tool_calls_total", tool, "slow", "outcome", "error")
	c(1, "mcp_server_tool_calls_total", tool, "slow", "outcome", "ok")
	c(1, "mcp_server_requests_total", m, "tools/call", nt, "tcp", np, "", "outcome", "tool_error")
	// The full pool refuses at the concurrency limit, after the queueing
	// bound, or for want of a worker, whichever the call meets first.
	if n := counterValue(t, fams, "densemcp_refusals_total", "reason", "concurrency") + counterValue(t, fams, "densemcp_refusals_total", "reason", "queue_timeout") +
		counterValue(t, fams, "densemcp_refusals_total", "reason", "workers"); n != 1 {
		t.Errorf("refusals of the full pool: %v, want 1", n)
	}
	c(1, "densemcp_refusals_total", "reason", "max_sessions")
	c(1, "densemcp_http_sessions_created_total")
	c(1, "densemcp_sessions", "transport", "ndjson", "era", "legacy")
	c(1, "densemcp_sessions", "transport", "http", "era", "legacy")
	c(1, "densemcp_sessions", "transport", "stdio", "era", "legacy")
	c(1, "densemcp_connections", "transport", "ndjson")
	c(1, "densemcp_connections", "transport", "stdio")
	c(1, "densemcp_worker_pool_capacity")
	c(1, "densemcp_ready")
	for _, name := range []string{"densemcp_received_bytes_total", "densemcp_sent_bytes_total", "go_goroutines", "process_resident_memory_bytes"} {
		if counterValue(t, fams, name) <= 0 {
			t.Errorf("%s is not positive", name)
		}
	}
	if got := counterValue(t, fams, "densemcp_connections_opened_total", "transport", "http"); got < 5 {
		t.Errorf("HTTP connections opened: %v, want at least 5", got)
	}

	// A malformed HTTP request: 400, a polite close, counted by reason.
	if resp, _ := rawHTTP(t, url, "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"); resp.StatusCode != 400 {
		t.Fatalf("CL+TE: %d", resp.StatusCode)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		fams = scrape(t, admin.URL+"/metrics")
		if counterValue(t, fams, "densemcp_connections_closed_total", "reason", "bad_request") == 1 &&
			counterValue(t, fams, "densemcp_connections_lingered_total") == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("bad_request closes %v, lingered %v, want 1 and 1",
				counterValue(t, fams, "densemcp_connections_closed_total", "reason", "bad_request"),
				counterValue(t, fams, "densemcp_connections_lingered_total"))
		}
	}

	inW.Close()
	<-stdioDone
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// /healthz says alive throughout; /readyz flips to 503 when the server
// starts draining (a blocking handler keeps the drain going) and stays
// 503 once it has stopped.
func TestReadyzFlipsDuringDrain(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	s := newTestServer(t, &densemcp.Options{Metrics: true}, func(s *densemcp.Server) {
		must(t, s.AddRawTool(&densemcp.Tool{Name: "slow"}, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
			started <- struct{}{}
			<-release
			req.Result.AddText("done")
			return nil
		}))
	})
	admin := httptest.NewServer(ops.Handler(s))
	defer admin.Close()
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(admin.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "not serving") {
		t.Fatalf("readyz before serving: %d %q", code, body)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tcpAddr, _, done := serveBoth(t, ctx, s)
	if code, _ := get("/readyz"); code != 200 {
		t.Fatalf("readyz while serving: %d", code)
	}
	l := dialLines(t, tcpAddr)
	l.initLegacy()
	l.send(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow"}}` + "\n")
	<-started
	cancel() // Serve drains: the slow handler holds it open
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body := get("/readyz")
		if code == 503 && strings.Contains(body, "draining") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz during drain: %d %q", code, body)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Fatalf("healthz during drain: %d", code)
	}
	fams := scrape(t, admin.URL+"/metrics")
	if counterValue(t, fams, "densemcp_draining") != 1 || counterValue(t, fams, "densemcp_ready") != 0 {
		t.Fatalf("draining/ready gauges during drain: %v %v", counterValue(t, fams, "densemcp_draining"), counterValue(t, fams, "densemcp_ready"))
	}
	close(release)
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "not serving") {
		t.Fatalf("readyz after stop: %d %q", code, body)
	}
}

// Options.AdminAddr serves the admin endpoints beside the MCP port while
// the server runs.
func TestAdminAddrOption(t *testing.T) {
	adminAddr := freeAddr(t)
	s := newTestServer(t, &densemcp.Options{AdminAddr: adminAddr}, nil)
	addr := serveTCP(t, s)
	l := dialLines(t, addr)
	l.initLegacy()
	l.expectPing()
	var fams map[string]*dto.MetricFamily
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", adminAddr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	fams = scrape(t, "http://"+adminAddr+"/metrics")
	if got := histCount(t, fams, "mcp_method_name", "ping", "network_transport", "tcp"); got != 1 {
		t.Fatalf("ping count over the admin listener: %d", got)
	}
	for _, path := range []string{"/healthz", "/readyz", "/dashboard", "/dashboard/data", "/debug/pprof/"} {
		resp, err := http.Get("http://" + adminAddr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET %s: %s", path, resp.Status)
		}
	}
}
