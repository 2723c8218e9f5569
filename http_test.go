//lint:file-ignore SA1019 legacy sessions' sampling, logging and roots (deprecated in 2026-07-28) are what these tests exercise

package densemcp_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/densemcp/densemcp"
	"github.com/densemcp/densemcp/engine"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// serveHTTP runs s's Streamable HTTP transport on a loopback port until the
// test ends and returns the endpoint URL.
func serveHTTP(t *testing.T, s *densemcp.Server) string {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.ListenAndServeHTTP(ctx, addr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("ServeHTTP: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("server did not stop")
		}
	})
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return "http://" + addr + "/mcp"
		}
		if i > 500 {
			t.Fatalf("server never listened: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func sdkOverHTTP(t *testing.T, url, pv string, opts *mcp.ClientOptions, ev *clientEvents) *mcp.ClientSession {
	t.Helper()
	if opts == nil {
		opts = &mcp.ClientOptions{}
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "http-test", Version: "1"}, opts)
	client.AddRoots(&mcp.Root{URI: "file:///work", Name: "work"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: url, MaxRetries: -1}, &mcp.ClientSessionOptions{ProtocolVersion: pv})
	if err != nil {
		t.Fatalf("connect over HTTP (%q): %v", pv, err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// The official Go SDK over Streamable HTTP, legacy sessions and the modern
// stateless era: the core flow, a server→client request answered on the
// SSE stream (or by input_required), and a list_changed notification.
func TestSDKClientOverHTTP(t *testing.T) {
	s := featureServer(t)
	sdkHTTPFlow(t, s, serveHTTP(t, s))
}

// sdkHTTPFlow drives the server at url (s's, on either HTTP transport) with
// the official Go SDK client in both eras.
func sdkHTTPFlow(t *testing.T, s *densemcp.Server, url string) {
	for i, pv := range []string{"2025-11-25", ""} {
		name := map[string]string{"": "modern"}[pv]
		if name == "" {
			name = pv
		}
		t.Run(name, func(t *testing.T) {
			ev := &clientEvents{}
			opts := &mcp.ClientOptions{
				ElicitationHandler: func(ctx context.Context, r *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
					return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"name": "ada"}}, nil
				},
				CreateMessageHandler: func(ctx context.Context, r *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
					return &mcp.CreateMessageResult{Role: "assistant", Model: "m", Content: &mcp.TextContent{Text: "sampled"}}, nil
				},
				ToolListChangedHandler: func(ctx context.Context, r *mcp.ToolListChangedRequest) {
					ev.mu.Lock()
					ev.listTools++
					ev.mu.Unlock()
				},
				ProgressNotificationHandler: func(ctx context.Context, r *mcp.ProgressNotificationClientRequest) {
					ev.mu.Lock()
					ev.progress = append(ev.progress, r.Params.Progress)
					ev.mu.Unlock()
				},
			}
			cs := sdkOverHTTP(t, url, pv, opts, ev)
			want := pv
			if want == "" {
				want = "2026-07-28"
			}
			exerciseSession(t, cs, want, pv != "")
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "ask"})
			if err != nil || res.IsError || res.Content[0].(*mcp.TextContent).Text != "accept|ada|sampled|file:///work" {
				t.Fatalf("ask over HTTP: %+v %v", res, err)
			}
			res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "progress_and_log", Meta: mcp.Meta{"progressToken": "p1"}})
			if err != nil || res.IsError {
				t.Fatalf("progress_and_log: %+v %v", res, err)
			}
			waitFor(t, "3 progress notifications on the POST stream", func() bool { return len(ev.snapshot().progress) == 3 })
			// A tool registered at run time reaches the client as list_changed:
			// on the legacy GET stream, or on the modern listen stream.
			tool := fmt.Sprintf("late_%d", i)
			last := time.Now()
			if err := densemcp.AddTool(s, &densemcp.Tool{Name: tool, Inline: true}, func(context.Context, *densemcp.Request, echoIn) (any, error) { return nil, nil }); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "tools list_changed over HTTP", func() bool {
				if time.Since(last) > 300*time.Millisecond {
					// The GET or listen stream may open just after connect returns.
					last = time.Now()
					s.RemoveTools(tool)
				}
				return ev.snapshot().listTools >= 1
			})
		})
	}
}

// rawHTTP sends bytes on a fresh connection and returns the first response.
func rawHTTP(t *testing.T, url, req string) (*http.Response, string) {
	t.Helper()
	addr := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/mcp")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("reading response to %q: %v", req[:min(len(req), 60)], err)
	}
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func post(host, body string, headers ...string) string {
	h := strings.Join(headers, "\r\n")
	if h != "" {
		h += "\r\n"
	}
	return "POST /mcp HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n" + h +
		fmt.Sprintf("Content-Length: %d\r\n\r\n", len(body)) + body
}

// openLegacySession runs the legacy handshake over raw HTTP and returns the
// session id.
func openLegacySession(t *testing.T, url, host string) string {
	t.Helper()
	resp, _ := rawHTTP(t, url, post(host, initBody))
	sid := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != 200 || sid == "" {
		t.Fatalf("initialize: %d sid=%q", resp.StatusCode, sid)
	}
	resp, _ = rawHTTP(t, url, post(host, `{"jsonrpc":"2.0","method":"notifications/initialized"}`, "Mcp-Session-Id: "+sid, "MCP-Protocol-Version: 2025-11-25"))
	if resp.StatusCode != 202 {
		t.Fatalf("initialized: %d", resp.StatusCode)
	}
	return sid
}

const initBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`

func TestHTTPLimitsAndErrors(t *testing.T) {
	s := newTestServer(t, &densemcp.Options{Engine: engine.Config{HTTP: engine.HTTPConfig{MaxBodyBytes: 1024, MaxHeaderBytes: 2048}}}, nil)
	url := serveHTTP(t, s)
	host := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/mcp")
	f := func(name, req string, wantStatus int, wantBody string) {
		t.Helper()
		resp, body := rawHTTP(t, url, req)
		if resp.StatusCode != wantStatus || !strings.Contains(body, wantBody) {
			t.Fatalf("%s: got %d %q, want %d containing %q", name, resp.StatusCode, body, wantStatus, wantBody)
		}
	}
	f("431", "POST /mcp HTTP/1.1\r\nHost: "+host+"\r\nX-Big: "+strings.Repeat("a", 4096)+"\r\n\r\n", 431, "")
	f("413", post(host, `{"x":"`+strings.Repeat("a", 2000)+`"}`), 413, "")
	f("CL+TE", "POST /mcp HTTP/1.1\r\nHost: "+host+"\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "")
	f("foreign Host", post("evil.example.com", initBody), 403, "")
	f("foreign Origin", post(host, initBody, "Origin: http://evil.example.com"), 403, "")
	f("loopback Origin", post(host, initBody, "Origin: http://localhost:1234"), 200, `"protocolVersion":"2025-11-25"`)
	f("no session", post(host, `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`), 400, "Mcp-Session-Id")
	f("unknown session", post(host, `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`, "Mcp-Session-Id: 00ff", "MCP-Protocol-Version: 2025-11-25"), 404, "")
	f("bad JSON", post(host, `{"jsonrpc":`), 400, `"code":-32700`)
	f("wrong path", "GET /other HTTP/1.1\r\nHost: "+host+"\r\n\r\n", 404, "")
	f("modern GET", "GET /mcp HTTP/1.1\r\nHost: "+host+"\r\nMCP-Protocol-Version: 2026-07-28\r\n\r\n", 405, "")
	f("modern header mismatch", post(host, `{"jsonrpc":"2.0","id":3,"method":"tools/list","params":{`+modernMeta+`}}`,
		"MCP-Protocol-Version: 2026-07-28", "Mcp-Method: prompts/list"), 400, `"code":-32020`)
	f("modern removed method", post(host, `{"jsonrpc":"2.0","id":4,"method":"ping","params":{`+modernMeta+`}}`,
		"MCP-Protocol-Version: 2026-07-28", "Mcp-Method: ping"), 404, `"code":-32601`)
	f("modern missing meta", post(host, `{"jsonrpc":"2.0","id":5,"method":"tools/list","params":{}}`,
		"MCP-Protocol-Version: 2026-07-28", "Mcp-Method: tools/list"), 400, `"code":-32602`)
	f("modern ok", post(host, `{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"},`+modernMeta+`}}`,
		"MCP-Protocol-Version: 2026-07-28", "Mcp-Method: tools/call", "Mcp-Name: echo"), 200, `"resultType":"complete"`)
	f("modern escaped name", post(host, `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"ec\u0068o","arguments":{"text":"hi"},`+modernMeta+`}}`,
		"MCP-Protocol-Version: 2026-07-28", "Mcp-Method: tools/call", "Mcp-Name: echo"), 200, `"resultType":"complete"`)
	f("modern name mismatch", post(host, `{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"},`+modernMeta+`}}`,
		"MCP-Protocol-Version: 2026-07-28", "Mcp-Method: tools/call", "Mcp-Name: ech"), 400, `"code":-32020`)
	f("modern name not a string", post(host, `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":7,"arguments":{"text":"hi"},`+modernMeta+`}}`,
		"MCP-Protocol-Version: 2026-07-28", "Mcp-Method: tools/call", "Mcp-Name: 7"), 400, `"code":-32020`)
}

// Pipelined requests are answered in order; a request fed one byte at a
// time is answered once complete.
func TestHTTPPipeliningAndByteByByte(t *testing.T) {
	url := serveHTTP(t, newTestServer(t, nil, nil))
	host := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/mcp")
	call := func(id int) string {
		return post(host, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"echo","arguments":{"text":"t%d"},%s}}`, id, id, modernMeta),
			"MCP-Protocol-Version: 2026-07-28", "Mcp-Method: tools/call", "Mcp-Name: echo")
	}
	c, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, call(1)+call(2)+call(3))
	br := bufio.NewReader(c)
	for id := 1; id <= 3; id++ {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		if !strings.Contains(string(body), fmt.Sprintf(`"id":%d,`, id)) {
			t.Fatalf("pipelined answer %d out of order: %s", id, body)
		}
	}
	req := call(4)
	for i := 0; i < len(req); i++ {
		if _, err := c.Write([]byte{req[i]}); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), `"text":"t4"`) {
		t.Fatalf("byte-by-byte request: %s", body)
	}
}

// A legacy session: DELETE ends it (404 after), and an idle one is evicted
// after the TTL (404, so the client initializes again).
func TestHTTPSessionEndAndIdleExpiry(t *testing.T) {
	s := newTestServer(t, &densemcp.Options{Engine: engine.Config{HTTP: engine.HTTPConfig{SessionIdleTTL: time.Second}}}, nil)
	url := serveHTTP(t, s)
	host := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/mcp")
	open := func() string { return openLegacySession(t, url, host) }
	list := func(sid string) int {
		resp, _ := rawHTTP(t, url, post(host, `{"jsonrpc":"2.0","id":9,"method":"tools/list"}`, "Mcp-Session-Id: "+sid, "MCP-Protocol-Version: 2025-03-26"))
		return resp.StatusCode
	}
	sid := open()
	if got := list(sid); got != 200 {
		t.Fatalf("tools/list on a live session: %d", got)
	}
	resp, body := rawHTTP(t, url, post(host, `{"jsonrpc":"2.0","id":9,"method":"tools/list"}`, "Mcp-Session-Id: "+sid, "MCP-Protocol-Version: 1999-01-01"))
	if resp.StatusCode != 400 || !strings.Contains(body, "MCP-Protocol-Version") {
		t.Fatalf("invalid MCP-Protocol-Version on a session: %d %s", resp.StatusCode, body)
	}
	resp, _ = rawHTTP(t, url, "DELETE /mcp HTTP/1.1\r\nHost: "+host+"\r\nMcp-Session-Id: "+sid+"\r\n\r\n")
	if resp.StatusCode != 200 {
		t.Fatalf("DELETE: %d", resp.StatusCode)
	}
	if got := list(sid); got != 404 {
		t.Fatalf("after DELETE: %d, want 404", got)
	}
	// Each request refreshes the session, so look only after a quiet spell
	// longer than the TTL plus one sweep.
	sid = open()
	for i := 0; ; i++ {
		time.Sleep(2500 * time.Millisecond)
		if list(sid) == 404 {
			break
		}
		if i == 3 {
			t.Fatal("idle session was never evicted")
		}
	}
}

// With replay on, a legacy request's SSE stream starts with a priming event;
// a client that loses the connection resumes with Last-Event-ID and gets the
// events it missed on that stream, the answer included.
func TestHTTPReplayAfterDisconnect(t *testing.T) {
	release := make(chan struct{})
	s := newTestServer(t, &densemcp.Options{Engine: engine.Config{HTTP: engine.HTTPConfig{ReplayEvents: 16}}}, func(s *densemcp.Server) {
		err := s.AddRawTool(&densemcp.Tool{Name: "later"}, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
			<-release
			req.Log(densemcp.LevelInfo, "t", "while you were away")
			req.Result.AddText("answer after reconnect")
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	url := serveHTTP(t, s)
	host := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/mcp")
	sid := openLegacySession(t, url, host)

	c, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, post(host, `{"jsonrpc":"2.0","id":"r1","method":"tools/call","params":{"name":"later"}}`, "Mcp-Session-Id: "+sid, "MCP-Protocol-Version: 2025-11-25"))
	br := bufio.NewReader(c)
	r1, err := http.ReadResponse(br, nil)
	if err != nil || r1.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("POST stream: %v %v", err, r1.Header)
	}
	var lastID string
	for lastID == "" {
		line, err := bufio.NewReader(r1.Body).ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "id: "); ok {
			lastID = v
		}
	}
	c.Close() // lose the stream before anything but the priming event
	close(release)
	time.Sleep(100 * time.Millisecond)

	resp, body := rawHTTP(t, url, "GET /mcp HTTP/1.1\r\nHost: "+host+"\r\nAccept: text/event-stream\r\nMcp-Session-Id: "+sid+
		"\r\nMCP-Protocol-Version: 2025-11-25\r\nLast-Event-ID: "+lastID+"\r\n\r\n")
	if resp.StatusCode != 200 || !strings.Contains(body, "while you were away") || !strings.Contains(body, "answer after reconnect") ||
		strings.Index(body, "while you were away") > strings.Index(body, "answer after reconnect") {
		t.Fatalf("resume: %d %q", resp.StatusCode, body)
	}
}

// Expect: 100-continue gets the interim answer before the body is sent;
// Connection: close is honoured after the answer.
func TestHTTPExpectContinueAndConnectionClose(t *testing.T) {
	url := serveHTTP(t, newTestServer(t, nil, nil))
	host := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/mcp")
	c, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, "POST /mcp HTTP/1.1\r\nHost: "+host+"\r\nContent-Type: application/json\r\nAccept: application/json\r\n"+
		fmt.Sprintf("Expect: 100-continue\r\nConnection: close\r\nContent-Length: %d\r\n\r\n", len(initBody)))
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 100 ") {
		t.Fatalf("want 100 Continue before the body, got %q %v", line, err)
	}
	if l, _ := br.ReadString('\n'); l != "\r\n" {
		t.Fatalf("100 Continue not terminated: %q", l)
	}
	io.WriteString(c, initBody)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 || !resp.Close {
		t.Fatalf("answer: %v %+v", err, resp)
	}
	io.ReadAll(resp.Body)
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("connection not closed after Connection: close: %v", err)
	}
}

// SEP-1699 polling: a handler ends its stream early; the client, which saw
// the priming event's id, resumes with Last-Event-ID on the same kept-alive
// connection and gets the rest, the answer included.
func TestHTTPServerClosesStreamAndClientResumes(t *testing.T) {
	s := newTestServer(t, &densemcp.Options{Engine: engine.Config{HTTP: engine.HTTPConfig{ReplayEvents: 16}}}, func(s *densemcp.Server) {
		err := s.AddRawTool(&densemcp.Tool{Name: "poll"}, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
			req.CloseStream()
			time.Sleep(50 * time.Millisecond)
			req.Log(densemcp.LevelInfo, "t", "after the close")
			req.Result.AddText("polled answer")
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	url := serveHTTP(t, s)
	host := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/mcp")
	sid := openLegacySession(t, url, host)
	c, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	io.WriteString(c, post(host, `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"poll"}}`, "Mcp-Session-Id: "+sid))
	r1, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := io.ReadAll(r1.Body) // ends: the server closed the stream
	var lastID string
	for _, line := range strings.Split(string(first), "\n") {
		if v, ok := strings.CutPrefix(line, "id: "); ok {
			lastID = v
		}
	}
	if lastID == "" || !strings.Contains(string(first), "retry: ") || strings.Contains(string(first), "polled answer") {
		t.Fatalf("first stream: %q", first)
	}
	time.Sleep(100 * time.Millisecond)
	io.WriteString(c, "GET /mcp HTTP/1.1\r\nHost: "+host+"\r\nAccept: text/event-stream\r\nMcp-Session-Id: "+sid+"\r\nLast-Event-ID: "+lastID+"\r\n\r\n")
	r2, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(r2.Body)
	if !strings.Contains(string(rest), "after the close") || !strings.Contains(string(rest), "polled answer") {
		t.Fatalf("resumed stream: %q", rest)
	}
}

// Through Server.Handler, where requests run on their own goroutines,
// initializes racing each other still make at most MaxSessions sessions:
// the rest get 503 with Retry-After. The shard is kept busy (an inline
// tool that stalls it, which real tools must not do) while they arrive, so
// they all arrive before any session is made.
func TestNetHTTPMaxSessionsUnderConcurrentInitialize(t *testing.T) {
	stalled := make(chan struct{})
	s := newTestServer(t, &densemcp.Options{Engine: engine.Config{Loops: 1, HTTP: engine.HTTPConfig{MaxSessions: 2}}}, func(s *densemcp.Server) {
		err := s.AddRawTool(&densemcp.Tool{Name: "stall", Inline: true}, func(context.Context, *densemcp.Request, json.RawMessage) error {
			close(stalled)
			time.Sleep(300 * time.Millisecond)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	url, host := ts.URL+"/mcp", strings.TrimPrefix(ts.URL, "http://")
	sid := openLegacySession(t, url, host) // the first of the two
	stall, _ := http.NewRequest("POST", url, strings.NewReader(`{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"stall"}}`))
	stall.Header.Set("Content-Type", "application/json")
	stall.Header.Set("Accept", "application/json, text/event-stream")
	stall.Header.Set("Mcp-Session-Id", sid)
	stall.Header.Set("MCP-Protocol-Version", "2025-11-25")
	go func() {
		if resp, err := http.DefaultClient.Do(stall); err == nil {
			resp.Body.Close()
		}
	}()
	<-stalled
	const tries = 16
	codes := make(chan int, tries)
	var wg sync.WaitGroup
	for range tries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", url, strings.NewReader(initBody))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				codes <- 0
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 503 && resp.Header.Get("Retry-After") == "" {
				codes <- -503
				return
			}
			codes <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(codes)
	n := map[int]int{}
	for c := range codes {
		n[c]++
	}
	if n[200] != 1 || n[503] != tries-1 {
		t.Fatalf("%d initializes racing for the last of 2 sessions: status counts %v, want one 200", tries, n)
	}
}

// Past MaxSessions, initialize gets 503 with Retry-After.
func TestHTTPMaxSessions(t *testing.T) {
	s := newTestServer(t, &densemcp.Options{Engine: engine.Config{HTTP: engine.HTTPConfig{MaxSessions: 2}}}, nil)
	url := serveHTTP(t, s)
	host := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/mcp")
	for i := 0; i < 2; i++ {
		if resp, _ := rawHTTP(t, url, post(host, initBody)); resp.StatusCode != 200 {
			t.Fatalf("session %d: %d", i, resp.StatusCode)
		}
	}
	resp, _ := rawHTTP(t, url, post(host, initBody))
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("third session: %d %v", resp.StatusCode, resp.Header)
	}
}
