package densemcp_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/densemcp/densemcp"
	"github.com/densemcp/densemcp/engine"
	"github.com/densemcp/densemcp/perf/fixtures"
)

// holdTool is a blocking tool that waits until released (or, unless
// stubborn, until its context ends).
type holdTool struct {
	started chan struct{}
	release chan struct{}
	once    sync.Once
}

func newHold() *holdTool {
	return &holdTool{started: make(chan struct{}, 1024), release: make(chan struct{})}
}

func (h *holdTool) free() { h.once.Do(func() { close(h.release) }) }

func (h *holdTool) add(t *testing.T, s *densemcp.Server, name string, stubborn bool) {
	t.Helper()
	err := s.AddRawTool(&densemcp.Tool{Name: name}, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
		h.started <- struct{}{}
		if stubborn {
			<-h.release
		} else {
			select {
			case <-h.release:
			case <-req.Context().Done():
				return req.Context().Err()
			}
		}
		req.Result.AddText("released")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// serveBoth runs s on NDJSON and HTTP until the test ends (or until the
// test shuts it down) and returns both addresses.
func serveOverload(t *testing.T, s *densemcp.Server) (tcp, httpAddr string) {
	t.Helper()
	tcp, httpAddr = freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.ListenAndServe(ctx, tcp, httpAddr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("server did not stop")
		}
	})
	for _, a := range []string{tcp, httpAddr} {
		for i := 0; ; i++ {
			c, err := net.Dial("tcp", a)
			if err == nil {
				c.Close()
				break
			}
			if i > 500 {
				t.Fatalf("server never listened on %s: %v", a, err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return tcp, httpAddr
}

func callLine(id, tool string) string {
	return `{"jsonrpc":"2.0","id":"` + id + `","method":"tools/call","params":{"name":"` + tool + `"}}`
}

// refusalData is the data of a -32000 refusal.
type refusalData struct {
	RetryAfterMs int    `json:"retryAfterMs"`
	Reason       string `json:"reason"`
}

func expectRefusal(t *testing.T, a rpcAnswer, id string, reasons ...string) refusalData {
	t.Helper()
	if a.Error == nil || a.Error.Code != -32000 || string(a.ID) != `"`+id+`"` {
		t.Fatalf("want a refusal of %s, got id %s result %s error %+v", id, a.ID, a.Result, a.Error)
	}
	var d refusalData
	if err := json.Unmarshal(a.Error.Data, &d); err != nil || d.RetryAfterMs <= 0 {
		t.Fatalf("refusal data %s: %v", a.Error.Data, err)
	}
	for _, r := range reasons {
		if d.Reason == r {
			return d
		}
	}
	t.Fatalf("refusal reason %q, want one of %v", d.Reason, reasons)
	return d
}

// httpExchange sends one request on c and reads the response.
func httpExchange(t *testing.T, c net.Conn, r *bufio.Reader, req string) (*http.Response, string) {
	t.Helper()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatalf("reading response: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func modernToolCall(host, id, tool string) string {
	body := `{"jsonrpc":"2.0","id":"` + id + `","method":"tools/call","params":{"name":"` + tool + `","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}`
	return post(host, body, "MCP-Protocol-Version: 2026-07-28", "Mcp-Method: tools/call", "Mcp-Name: "+tool)
}

// Past the concurrency limit a blocking call is refused at once (or after
// its short wait in the queue) on every transport: NDJSON and stdio get
// -32000 with retryAfterMs and a reason, HTTP gets 503 with Retry-After
// and the same error as its body. The call already admitted completes,
// and the loop goes on answering inline requests meanwhile.
func TestRefusalAtConcurrencyLimit(t *testing.T) {
	h := newHold()
	defer h.free()
	s := newTestServer(t, &densemcp.Options{ConcurrencyLimit: 1, MaxQueueWait: time.Millisecond,
		Engine: engine.Config{Loops: 1}}, func(s *densemcp.Server) { h.add(t, s, "hold", false) })
	tcp, httpAddr := serveOverload(t, s)

	l := dialLines(t, tcp)
	l.initLegacy()
	l.send(callLine("held", "hold") + "\n")
	<-h.started
	expectRefusal(t, decodeAnswer(t, l.roundTrip(callLine("over", "hold"))), "over", "concurrency", "queue_timeout")
	l.expectPing()

	// Both HTTP eras, on the same loop.
	c, err := net.Dial("tcp", httpAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	resp, body := httpExchange(t, c, r, modernToolCall(httpAddr, "m1", "hold"))
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("modern over the limit: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	expectRefusal(t, decodeAnswer(t, body), "m1", "concurrency", "queue_timeout")
	sid := openLegacySession(t, "http://"+httpAddr+"/mcp", httpAddr)
	resp, body = httpExchange(t, c, r, post(httpAddr, callLine("l1", "hold"), "Mcp-Session-Id: "+sid, "MCP-Protocol-Version: 2025-11-25"))
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("legacy over the limit: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	expectRefusal(t, decodeAnswer(t, body), "l1", "concurrency", "queue_timeout")

	h.free()
	if a := decodeAnswer(t, l.recv()); string(a.ID) != `"held"` || !strings.Contains(string(a.Result), "released") {
		t.Fatalf("the admitted call: %s %s %+v", a.ID, a.Result, a.Error)
	}
	st := s.OverloadStats()
	if st.Refused["concurrency"]+st.Refused["queue_timeout"] < 3 || st.Admitted < 1 {
		t.Errorf("stats: %+v", st)
	}
}

// A call that finds the limit full waits in the loop's queue and runs as
// soon as a slot frees.
func TestQueuedCallRunsWhenSlotFrees(t *testing.T) {
	h := newHold()
	defer h.free()
	s := newTestServer(t, &densemcp.Options{ConcurrencyLimit: 1, MaxQueueWait: time.Minute,
		Engine: engine.Config{Loops: 1}}, func(s *densemcp.Server) { h.add(t, s, "hold", false) })
	tcp, _ := serveOverload(t, s)
	l := dialLines(t, tcp)
	l.initLegacy()
	l.send(callLine("a", "hold") + "\n")
	<-h.started
	l.send(callLine("b", "hold") + "\n")
	waitFor(t, "the second call to queue", func() bool { return s.OverloadStats().Queue == 1 })
	h.free()
	got := map[string]bool{}
	for i := 0; i < 2; i++ {
		a := decodeAnswer(t, l.recv())
		if a.Error != nil || !strings.Contains(string(a.Result), "released") {
			t.Fatalf("answer %s: %s %+v", a.ID, a.Result, a.Error)
		}
		got[string(a.ID)] = true
	}
	if !got[`"a"`] || !got[`"b"`] {
		t.Fatalf("answers: %v", got)
	}
	// The gauges are published just after the answer is written.
	waitFor(t, "the gauges to settle", func() bool { return s.OverloadStats().InFlight == 0 })
	if st := s.OverloadStats(); st.Queued != 1 || st.Admitted != 2 || st.Queue != 0 || st.Completed != 2 {
		t.Errorf("stats: %+v", st)
	}
}

// A queued call cancelled from deeper in the queue stops counting at once:
// the published queue length (and the expected wait new calls are judged
// by) counts the calls still waiting, not the cancelled one's slot.
func TestCancelledQueuedCallLeavesTheQueue(t *testing.T) {
	h := newHold()
	defer h.free()
	s := newTestServer(t, &densemcp.Options{ConcurrencyLimit: 1, MaxQueueWait: time.Minute,
		Engine: engine.Config{Loops: 1}}, func(s *densemcp.Server) { h.add(t, s, "hold", false) })
	tcp, _ := serveOverload(t, s)
	l := dialLines(t, tcp)
	l.initLegacy()
	l.send(callLine("a", "hold") + "\n")
	<-h.started
	l.send(callLine("b", "hold") + "\n" + callLine("c", "hold") + "\n" + callLine("d", "hold") + "\n")
	waitFor(t, "three calls to queue", func() bool { return s.OverloadStats().Queue == 3 })
	l.send(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"c"}}` + "\n")
	waitFor(t, "the cancelled call to leave the queue", func() bool { return s.OverloadStats().Queue == 2 })
	h.free()
	got := map[string]bool{}
	for range 3 {
		a := decodeAnswer(t, l.recv())
		if a.Error != nil {
			t.Fatalf("answer %s: %+v", a.ID, a.Error)
		}
		got[string(a.ID)] = true
	}
	if !got[`"a"`] || !got[`"b"`] || !got[`"d"`] {
		t.Fatalf("answers: %v", got)
	}
	waitFor(t, "the queue to empty", func() bool { st := s.OverloadStats(); return st.Queue == 0 && st.InFlight == 0 })
}

// A fixed concurrency limit (--concurrency-limit) still bounds queueing by
// the measured latency: with one slot and calls of about 2 ms, a burst of
// 50 calls queues the few that can start within twice that latency and
// refuses the rest at once ("concurrency"), rather than queueing them all
// until they time out. A fixed limit once measured nothing, so every call
// looked free to queue.
func TestFixedLimitBoundsTheQueue(t *testing.T) {
	s := newTestServer(t, &densemcp.Options{ConcurrencyLimit: 1, Engine: engine.Config{Loops: 1}}, func(s *densemcp.Server) {
		err := s.AddRawTool(&densemcp.Tool{Name: "nap"}, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
			time.Sleep(2 * time.Millisecond)
			req.Result.AddText("rested")
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	tcp, _ := serveOverload(t, s)
	l := dialLines(t, tcp)
	l.initLegacy()
	for i := range 20 { // one at a time: the latency is measured
		if a := decodeAnswer(t, l.roundTrip(callLine("warm"+strconv.Itoa(i), "nap"))); a.Error != nil {
			t.Fatalf("a call alone: %+v", a.Error)
		}
	}
	const burst = 50
	var b strings.Builder
	for i := range burst {
		b.WriteString(callLine("b"+strconv.Itoa(i), "nap") + "\n")
	}
	l.send(b.String())
	served, atOnce := 0, 0
	for range burst {
		a := decodeAnswer(t, l.recv())
		if a.Error == nil {
			served++
			continue
		}
		if d := expectRefusal(t, a, strings.Trim(string(a.ID), `"`), "concurrency", "queue_timeout"); d.Reason == "concurrency" {
			atOnce++
		}
	}
	if served < 1 || atOnce < burst/2 {
		t.Fatalf("a burst of %d over a fixed limit of 1: %d served, %d refused at once; want most refused at once", burst, served, atOnce)
	}
}

// One client over its share (MaxInFlightPerConn) is refused as such:
// -32000 "client_limit" before decoding on NDJSON, 429 with Retry-After
// for a legacy HTTP session; other clients are not affected. Past the
// loop's bound (MaxInFlightPerLoop) every client is refused: 503.
func TestInFlightBounds(t *testing.T) {
	h := newHold()
	defer h.free()
	s := newTestServer(t, &densemcp.Options{MaxInFlightPerConn: 2, MaxInFlightPerLoop: 5, ConcurrencyLimit: 100,
		Engine: engine.Config{Loops: 1}}, func(s *densemcp.Server) { h.add(t, s, "hold", false) })
	tcp, httpAddr := serveOverload(t, s)

	a := dialLines(t, tcp)
	a.initLegacy()
	a.send(callLine("a1", "hold") + "\n" + callLine("a2", "hold") + "\n")
	<-h.started
	<-h.started
	expectRefusal(t, decodeAnswer(t, a.roundTrip(callLine("a3", "hold"))), "a3", "client_limit")

	// A legacy HTTP session is one client: two calls in flight on two
	// connections, the third gets 429.
	sid := openLegacySession(t, "http://"+httpAddr+"/mcp", httpAddr)
	hdr := []string{"Mcp-Session-Id: " + sid, "MCP-Protocol-Version: 2025-11-25"}
	var conns []net.Conn
	for i := 0; i < 3; i++ {
		c, err := net.Dial("tcp", httpAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	for i, c := range conns[:2] {
		if _, err := io.WriteString(c, post(httpAddr, callLine("h"+string(rune('1'+i)), "hold"), hdr...)); err != nil {
			t.Fatal(err)
		}
		<-h.started
	}
	resp, body := httpExchange(t, conns[2], bufio.NewReader(conns[2]), post(httpAddr, callLine("h3", "hold"), hdr...))
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("legacy session over its share: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	expectRefusal(t, decodeAnswer(t, body), "h3", "client_limit")

	// A fifth call fills the loop: a new client's call is refused before
	// decoding, on NDJSON and on HTTP.
	b := dialLines(t, tcp)
	b.initLegacy()
	f := dialLines(t, tcp)
	f.initLegacy()
	f.send(callLine("f1", "hold") + "\n")
	<-h.started
	expectRefusal(t, decodeAnswer(t, b.roundTrip(callLine("b1", "hold"))), "b1", "loop_limit")
	c, err := net.Dial("tcp", httpAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	resp, body = httpExchange(t, c, bufio.NewReader(c), modernToolCall(httpAddr, "m1", "hold"))
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "1" {
		t.Fatalf("modern past the loop bound: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	expectRefusal(t, decodeAnswer(t, body), "m1", "loop_limit")
	// Notifications still pass (a cancellation frees a slot).
	a.send(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"a1"}}` + "\n")
	waitFor(t, "the cancelled call to end", func() bool { return s.OverloadStats().InFlight == 4 })
	h.free()
	if got := decodeAnswer(t, a.recv()); string(got.ID) != `"a2"` {
		t.Fatalf("after the cancellation of a1, the next answer is %s", got.ID)
	}
	st := s.OverloadStats()
	if st.Refused["client_limit"] != 2 || st.Refused["loop_limit"] != 2 {
		t.Errorf("stats: %+v", st)
	}
}

// A handler that never returns holds its slot only until its timeout: the
// client gets -32001 then, the slot serves the next call, and the stuck
// goroutine is counted until it returns.
func TestStuckHandlerReleasesItsSlot(t *testing.T) {
	h := newHold()
	defer h.free()
	quick := newHold()
	quick.free()
	s := newTestServer(t, &densemcp.Options{ConcurrencyLimit: 1, MaxQueueWait: time.Minute, HandlerTimeout: 200 * time.Millisecond,
		Engine: engine.Config{Loops: 1}}, func(s *densemcp.Server) {
		h.add(t, s, "stuck", true)
		quick.add(t, s, "quick", false)
	})
	tcp, _ := serveOverload(t, s)
	l := dialLines(t, tcp)
	l.initLegacy()
	l.send(callLine("s", "stuck") + "\n")
	<-h.started
	l.send(callLine("q", "quick") + "\n") // queued behind the stuck one
	a := decodeAnswer(t, l.recv())
	if string(a.ID) != `"s"` || a.Error == nil || a.Error.Code != -32001 {
		t.Fatalf("stuck call: %s %s %+v", a.ID, a.Result, a.Error)
	}
	a = decodeAnswer(t, l.recv())
	if string(a.ID) != `"q"` || !strings.Contains(string(a.Result), "released") {
		t.Fatalf("call after the stuck one: %s %s %+v", a.ID, a.Result, a.Error)
	}
	waitFor(t, "the gauges to settle", func() bool { return s.OverloadStats().InFlight == 0 })
	if st := s.OverloadStats(); st.HandlerTimeouts != 1 || st.Stuck != 1 {
		t.Fatalf("stats while stuck: %+v", st)
	}
	h.free()
	waitFor(t, "the stuck handler to return", func() bool { return s.OverloadStats().Stuck == 0 })
	l.expectPing() // the late answer was dropped
}

// One connection pipelining thousands of requests is served a budget at a
// time: a polite client on the same loop is answered while the greedy
// one's backlog is still being worked through.
func TestFairShareAcrossConnections(t *testing.T) {
	s := newTestServer(t, &densemcp.Options{Engine: engine.Config{Loops: 1, MessagesPerPass: 16}}, nil)
	tcp, _ := serveOverload(t, s)
	greedy := dialLines(t, tcp)
	greedy.initLegacy()
	polite := dialLines(t, tcp)
	polite.initLegacy()

	// A first burst makes the loop enroll its kicker (the first deferred
	// passes fall back to Wake until gnet has registered it).
	var warm strings.Builder
	for i := 0; i < 1000; i++ {
		warm.WriteString(`{"jsonrpc":"2.0","id":1,"method":"ping"}` + "\n")
	}
	greedy.send(warm.String())
	for i := 0; i < 1000; i++ {
		greedy.recv()
	}
	waitFor(t, "a deferred pass", func() bool { return s.OverloadStats().Deferred > 0 })
	deferred := s.OverloadStats().Deferred

	const n = 50000
	var burst strings.Builder
	for i := 0; i < n; i++ {
		burst.WriteString(`{"jsonrpc":"2.0","id":1,"method":"ping"}` + "\n")
	}
	var answered atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for answered.Load() < n {
			greedy.c.SetReadDeadline(time.Now().Add(30 * time.Second))
			if _, err := greedy.r.ReadSlice('\n'); err != nil {
				return
			}
			answered.Add(1)
		}
	}()
	go greedy.c.Write([]byte(burst.String()))
	waitFor(t, "a deferred pass", func() bool { return s.OverloadStats().Deferred > deferred })
	polite.expectPing()
	got := answered.Load()
	<-done
	if answered.Load() != n {
		t.Fatalf("greedy client got %d of %d answers", answered.Load(), n)
	}
	if got == n {
		t.Errorf("the polite client was answered only after the greedy one's %d requests", n)
	}
	t.Logf("polite answered after %d of the greedy client's %d; %d deferred passes", got, n, s.OverloadStats().Deferred)
}

// Shutdown drains: new connections are closed, requests arriving on open
// connections are refused (-32000 "shutdown"; HTTP 503 with Connection:
// close), the legacy GET stream ends with a final event, and the calls
// already running are answered before the server stops. Each is counted.
func TestShutdownDrains(t *testing.T) {
	h := newHold()
	defer h.free()
	s := newTestServer(t, nil, func(s *densemcp.Server) { h.add(t, s, "hold", false) })
	tcp, httpAddr := serveOverload(t, s)
	url := "http://" + httpAddr + "/mcp"

	a := dialLines(t, tcp)
	a.initLegacy()
	a.send(callLine("run", "hold") + "\n")
	<-h.started

	sid := openLegacySession(t, url, httpAddr)
	hdr := []string{"Mcp-Session-Id: " + sid, "MCP-Protocol-Version: 2025-11-25"}
	g, err := net.Dial("tcp", httpAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if _, err := io.WriteString(g, "GET /mcp HTTP/1.1\r\nHost: "+httpAddr+"\r\nAccept: text/event-stream\r\n"+strings.Join(hdr, "\r\n")+"\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	gr := bufio.NewReader(g)
	if resp, err := http.ReadResponse(gr, nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET stream: %v %v", resp, err)
	}
	p, err := net.Dial("tcp", httpAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := io.WriteString(p, post(httpAddr, callLine("h", "hold"), hdr...)); err != nil {
		t.Fatal(err)
	}
	<-h.started
	k, err := net.Dial("tcp", httpAddr) // an idle keep-alive connection
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	kr := bufio.NewReader(k)
	if resp, _ := httpExchange(t, k, kr, modernToolCall(httpAddr, "k0", "echo")); resp.StatusCode != 200 {
		t.Fatalf("keep-alive call: %d", resp.StatusCode)
	}

	e := densemcp.LiveEngine(s)
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		shut <- s.Shutdown(ctx)
	}()
	waitFor(t, "the drain to begin", func() bool { return e.Draining() })
	if err := s.Ready(); err != densemcp.ErrDraining {
		t.Errorf("Ready while draining: %v", err)
	}

	expectRefusal(t, decodeAnswer(t, a.roundTrip(callLine("late", "hold"))), "late", "shutdown")
	resp, body := httpExchange(t, k, kr, modernToolCall(httpAddr, "k1", "echo"))
	if resp.StatusCode != 503 || !resp.Close || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("request on an open HTTP connection while draining: %d close=%v %v %s", resp.StatusCode, resp.Close, resp.Header, body)
	}
	expectRefusal(t, decodeAnswer(t, body), "k1", "shutdown")
	if c, err := net.Dial("tcp", tcp); err == nil {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if n, err := c.Read(make([]byte, 1)); err == nil {
			t.Errorf("a new connection while draining was served (%d bytes)", n)
		}
		c.Close()
	}
	g.SetReadDeadline(time.Now().Add(10 * time.Second))
	stream, _ := io.ReadAll(gr)
	if !strings.Contains(string(stream), ": server shutting down") || !strings.Contains(string(stream), "retry: 1000") {
		t.Errorf("GET stream's end: %q", stream)
	}

	h.free()
	if got := decodeAnswer(t, a.recv()); string(got.ID) != `"run"` || !strings.Contains(string(got.Result), "released") {
		t.Fatalf("the running NDJSON call: %s %s %+v", got.ID, got.Result, got.Error)
	}
	resp, body = httpExchange(t, p, bufio.NewReader(p), "")
	if resp.StatusCode != 200 || !strings.Contains(body, "released") {
		t.Fatalf("the running HTTP call: %d %s", resp.StatusCode, body)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	ds := e.LastDrain()
	if ds.Accepted != 2 || ds.Answered != 2 || ds.Refused != 2 || ds.CutOff != 0 {
		t.Errorf("drain stats: %+v", ds)
	}
}

// A call still running when the drain's budget ends is answered with a
// shutdown error (cut off), not left unanswered.
func TestShutdownCutsOffAtTheBudget(t *testing.T) {
	h := newHold()
	defer h.free()
	s := newTestServer(t, nil, func(s *densemcp.Server) { h.add(t, s, "stuck", true) })
	tcp, _ := serveOverload(t, s)
	a := dialLines(t, tcp)
	a.initLegacy()
	a.send(callLine("run", "stuck") + "\n")
	<-h.started
	e := densemcp.LiveEngine(s)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown past its budget: %v", err)
	}
	expectRefusal(t, decodeAnswer(t, a.recv()), "run", "shutdown")
	if ds := e.LastDrain(); ds.Accepted != 1 || ds.CutOff != 1 || ds.Answered != 0 {
		t.Errorf("drain stats: %+v", ds)
	}
}

// stdio drains the same way: requests arriving during the drain are
// refused, the running call is answered, then Serve returns.
func TestStdioDrainAndAdmission(t *testing.T) {
	h := newHold()
	defer h.free()
	s := newTestServer(t, &densemcp.Options{MaxInFlightPerConn: 1}, func(s *densemcp.Server) { h.add(t, s, "hold", false) })
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	served := make(chan error, 1)
	go func() { served <- s.ServeStdio(context.Background(), inR, outW); outW.Close() }()
	defer inW.Close()
	out := bufio.NewReader(outR)
	l := &lineConn{t: t, r: out}
	send := func(line string) {
		t.Helper()
		if _, err := io.WriteString(inW, line+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	recv := func() rpcAnswer {
		t.Helper()
		line, err := out.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		return decodeAnswer(t, line)
	}
	_ = l
	send(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`)
	recv()
	send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	send(callLine("run", "hold"))
	<-h.started
	send(callLine("second", "hold"))
	expectRefusal(t, recv(), "second", "client_limit")

	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(context.Background()) }()
	// Until the drain begins the refusal is client_limit; then shutdown.
	for {
		send(callLine("late", "hold"))
		if d := expectRefusal(t, recv(), "late", "client_limit", "shutdown"); d.Reason == "shutdown" {
			break
		}
		time.Sleep(time.Millisecond)
	}
	h.free()
	if got := recv(); string(got.ID) != `"run"` || !strings.Contains(string(got.Result), "released") {
		t.Fatalf("the running call: %s %s %+v", got.ID, got.Result, got.Error)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-served; err != nil {
		t.Fatalf("ServeStdio: %v", err)
	}
}

// stageLog counts the overload manager's stage-change log lines.
type stageLog struct {
	n atomic.Int64
}

func (h *stageLog) Enabled(context.Context, slog.Level) bool { return true }
func (h *stageLog) Handle(_ context.Context, r slog.Record) error {
	if strings.HasPrefix(r.Message, "overload: memory pressure") {
		h.n.Add(1)
	}
	return nil
}
func (h *stageLog) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *stageLog) WithGroup(string) slog.Handler      { return h }

func liveHeap() int64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	runtime.GC()
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

// Large results queued for clients that do not read drive the heap past
// the memory budget: the overload manager's stages engage (new
// connections are closed, requests refused with reason "memory", the
// largest outbound queues shed, Ready false), each change logged once,
// and all release when the memory is freed.
func TestMemoryBudgetStages(t *testing.T) {
	// The heap is the whole test binary's: the budget leaves room above what
	// earlier tests left live, so that the stages can release (below 75% of
	// it) once the hogs are gone, however large that baseline is.
	base := liveHeap()
	budget := max(base+32<<20, (base+16<<20)*4/3)
	logs := &stageLog{}
	s := densemcp.NewServer(densemcp.Implementation{Name: "mem", Version: "1"}, &densemcp.Options{
		Logger: slog.New(logs),
		Engine: engine.Config{Loops: 1, MemoryBudget: budget, MaxOutboundBytes: 1 << 30}})
	if err := fixtures.AddEcho(s); err != nil {
		t.Fatal(err)
	}
	// big answers a 1 MiB result, prebuilt (so the race detector's cost
	// of building it does not slow the test down).
	blob := []byte(`{"blob":"` + strings.Repeat("x", 1<<20) + `"}`)
	err := s.AddRawTool(&densemcp.Tool{Name: "big", Inline: true}, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
		req.Result.SetStructuredOwned(blob)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tcp, _ := serveOverload(t, s)
	e := densemcp.LiveEngine(s)
	probe := dialLines(t, tcp) // connected before the pressure
	probe.initLegacy()

	// Clients that ask for 1 MiB results and never read them.
	var hogs []net.Conn
	defer func() {
		for _, c := range hogs {
			c.Close()
		}
	}()
	var calls strings.Builder
	calls.WriteString(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"hog","version":"1"}}}` + "\n")
	calls.WriteString(`{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n")
	for k := 1; k <= 8; k++ {
		calls.WriteString(`{"jsonrpc":"2.0","id":` + strconv.Itoa(k) + `,"method":"tools/call","params":{"name":"big"}}` + "\n")
	}
	for i := 0; i < 64 && e.Stage() < engine.StageRefuseConnections; i++ {
		c, err := net.Dial("tcp", tcp)
		if err != nil {
			t.Fatal(err)
		}
		hogs = append(hogs, c)
		c.(*net.TCPConn).SetReadBuffer(4 << 10)
		if _, err := io.WriteString(c, calls.String()); err != nil {
			break // refused: the stages have engaged
		}
	}
	waitFor(t, "the memory stages to engage", func() bool { return e.Stage() >= engine.StageRefuseRequests })
	if err := s.Ready(); err != densemcp.ErrOverloaded {
		t.Errorf("Ready under memory pressure: %v", err)
	}
	if c, err := net.Dial("tcp", tcp); err == nil {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Error("a new connection was served under memory pressure")
		}
		c.Close()
	}
	if st := e.Stage(); st >= engine.StageRefuseRequests {
		a := decodeAnswer(t, probe.roundTrip(`{"jsonrpc":"2.0","id":"p","method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}`))
		if a.Error != nil {
			expectRefusal(t, a, "p", "memory")
		} else if e.Stage() >= engine.StageRefuseRequests {
			t.Errorf("a request was served at stage %v", e.Stage())
		}
	}
	// How much the hogs queued before requests were refused depends on
	// timing (a busy machine answers fewer before the monitor's next
	// sample), so the heap may settle between the refusing stages and the
	// budget. A ballast held by the test then takes it past the budget,
	// where the largest outbound queues are shed.
	var ballast []byte
	if s.OverloadStats().ShedConnections == 0 {
		if need := budget - liveHeap(); need > -(16 << 20) {
			ballast = make([]byte, need+(16<<20))
		}
	}
	waitFor(t, "the largest outbound queues to be shed", func() bool { return s.OverloadStats().ShedConnections > 0 })
	runtime.KeepAlive(ballast) // collectable from here on
	for _, c := range hogs {
		c.Close()
	}
	hogs = nil
	waitFor(t, "the stages to release", func() bool { return e.Stage() == engine.StageNormal })
	waitFor(t, "the hogs' calls to end", func() bool { return s.OverloadStats().InFlight == 0 })
	probe.expectPing()
	if n := logs.n.Load(); n != int64(e.StageChanges()) || n < 2 {
		t.Errorf("%d stage-change log lines for %d changes", n, e.StageChanges())
	}
	t.Logf("budget %d MiB, %d stage changes, %d connections shed, %d closed for overload", budget>>20,
		e.StageChanges(), s.OverloadStats().ShedConnections, e.ClosedBy(engine.CloseOverload))
}

// Served through Server.Handler (net/http), a refusal is a 503 with
// Retry-After too.
func TestRefusalThroughNetHTTPHandler(t *testing.T) {
	h := newHold()
	defer h.free()
	s := newTestServer(t, &densemcp.Options{ConcurrencyLimit: 1, MaxQueueWait: time.Millisecond, Engine: engine.Config{Loops: 1}},
		func(s *densemcp.Server) { h.add(t, s, "hold", false) })
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	host := strings.TrimPrefix(ts.URL, "http://")
	send := func(id string) (*http.Response, string) {
		c, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return httpExchange(t, c, bufio.NewReader(c), modernToolCall(host, id, "hold"))
	}
	done := make(chan string, 1)
	go func() { _, body := send("first"); done <- body }()
	<-h.started
	resp, body := send("again")
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("over the limit through net/http: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	expectRefusal(t, decodeAnswer(t, body), "again", "concurrency", "queue_timeout")
	h.free()
	if body := <-done; !strings.Contains(body, "released") {
		t.Fatalf("the admitted call: %s", body)
	}
}
