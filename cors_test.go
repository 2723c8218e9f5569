package densemcp_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/densemcp/densemcp"
	"github.com/densemcp/densemcp/auth"
	"github.com/densemcp/densemcp/auth/authtest"
	"github.com/densemcp/densemcp/engine"
)

// The browser origins of these tests: corsApp gets CORS headers, corsOther
// is allowed to call (AllowedOrigins) but not configured for CORS.
const (
	corsApp   = "https://app.example.com"
	corsOther = "https://other.example.com"
)

// corsOptions configures CORS for corsApp (and lets corsOther through the
// Origin check, without CORS).
func corsOptions() *densemcp.Options {
	return &densemcp.Options{Engine: engine.Config{HTTP: engine.HTTPConfig{
		CORSOrigins: []string{corsApp}, AllowedOrigins: []string{corsApp, corsOther}}}}
}

// corsTools adds "steps", which reports progress before it answers (so a
// client that accepts SSE gets a stream), and "route", whose region is
// mirrored into Mcp-Param-Region (SEP-2243).
func corsTools(t *testing.T) func(s *densemcp.Server) {
	return func(s *densemcp.Server) {
		if err := s.AddRawTool(&densemcp.Tool{Name: "steps"}, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
			req.Progress(1, 2, "half")
			req.Result.AddText("done")
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.AddRawTool(&densemcp.Tool{Name: "route", Inline: true, InputSchema: json.RawMessage(
			`{"type":"object","properties":{"region":{"type":"string","x-mcp-header":"Region"}},"required":["region"]}`)},
			func(_ context.Context, req *densemcp.Request, args json.RawMessage) error {
				req.Result.AddTextBytes(args)
				return nil
			}); err != nil {
			t.Fatal(err)
		}
	}
}

// checkCORS checks h for the fields every answer to an allowed origin
// carries, or for none of the CORS fields when origin is "".
func checkCORS(t *testing.T, what string, h http.Header, origin string) {
	t.Helper()
	if origin == "" {
		for _, k := range []string{"Access-Control-Allow-Origin", "Access-Control-Expose-Headers",
			"Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Max-Age"} {
			if v := h.Values(k); len(v) > 0 {
				t.Errorf("%s: %s: %q, want none", what, k, v)
			}
		}
		return
	}
	if got := h.Values("Access-Control-Allow-Origin"); len(got) != 1 || got[0] != origin {
		t.Errorf("%s: Access-Control-Allow-Origin %q, want exactly %q", what, got, origin)
	}
	expose := h.Values("Access-Control-Expose-Headers")
	for _, want := range []string{"Mcp-Session-Id", "WWW-Authenticate", "Retry-After"} {
		if !listHas(expose, want) {
			t.Errorf("%s: Access-Control-Expose-Headers %q lacks %s", what, expose, want)
		}
	}
	if !listHas(h.Values("Vary"), "Origin") {
		t.Errorf("%s: Vary %q lacks Origin", what, h.Values("Vary"))
	}
}

// listHas reports whether a comma-separated field (over all its lines)
// holds name, compared as header names are.
func listHas(lines []string, name string) bool {
	for _, l := range lines {
		for v := range strings.SplitSeq(l, ",") {
			if strings.EqualFold(strings.TrimSpace(v), name) {
				return true
			}
		}
	}
	return false
}

// openStreamHead sends a GET for session sid's SSE stream and returns its
// response head; the stream is closed after.
func openStreamHead(t *testing.T, url, sid string, headers ...string) *http.Response {
	t.Helper()
	c, err := net.Dial("tcp", hostOf(url))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	req := "GET /mcp HTTP/1.1\r\nHost: " + hostOf(url) + "\r\nAccept: text/event-stream\r\nMcp-Session-Id: " + sid +
		"\r\nMCP-Protocol-Version: 2025-11-25\r\n" + strings.Join(append(headers, ""), "\r\n") + "\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("GET stream: %v", err)
	}
	return resp
}

// Every answer to a request from a CORS origin carries Access-Control-Allow-Origin,
// Access-Control-Expose-Headers and Vary: JSON bodies and SSE heads of both eras, the
// legacy 202, 200 (DELETE) and GET stream heads, and the errors; others get none.
func TestCORSOnEveryAnswer(t *testing.T) {
	url := serveHTTP(t, newTestServer(t, corsOptions(), corsTools(t)))
	host := hostOf(url)
	app := "Origin: " + corsApp
	f := func(name, req string, wantStatus int, wantType, origin string) *http.Response {
		t.Helper()
		resp, body := rawHTTP(t, url, req)
		if resp.StatusCode != wantStatus || !strings.HasPrefix(resp.Header.Get("Content-Type"), wantType) {
			t.Fatalf("%s: %d %q %q, want %d %q", name, resp.StatusCode, resp.Header.Get("Content-Type"), body, wantStatus, wantType)
		}
		checkCORS(t, name, resp.Header, origin)
		return resp
	}

	// Legacy: handshake, a JSON answer, an SSE answer, the GET stream, errors, DELETE.
	resp := f("initialize", post(host, initBody, app), 200, "application/json", corsApp)
	sid := resp.Header.Get("Mcp-Session-Id")
	if sid == "" {
		t.Fatal("initialize: no Mcp-Session-Id")
	}
	sess := []string{app, "Mcp-Session-Id: " + sid, "MCP-Protocol-Version: 2025-11-25"}
	f("initialized (202)", post(host, `{"jsonrpc":"2.0","method":"notifications/initialized"}`, sess...), 202, "", corsApp)
	f("legacy call, JSON", post(host, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}`, sess...), 200, "application/json", corsApp)
	f("legacy call, SSE", post(host, `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"steps","arguments":{},"_meta":{"progressToken":3}}}`, sess...), 200, "text/event-stream", corsApp)
	resp = openStreamHead(t, url, sid, app)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET stream: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	checkCORS(t, "GET stream", resp.Header, corsApp)
	f("legacy duplicate initialize", post(host, initBody, sess...), 400, "application/json", corsApp)
	f("legacy without session", post(host, `{"jsonrpc":"2.0","id":4,"method":"tools/list"}`, app), 400, "application/json", corsApp)
	f("unknown session", post(host, `{"jsonrpc":"2.0","id":5,"method":"tools/list"}`, app, "Mcp-Session-Id: 00ff", "MCP-Protocol-Version: 2025-11-25"), 404, "application/json", corsApp)
	f("DELETE", "DELETE /mcp HTTP/1.1\r\nHost: "+host+"\r\n"+strings.Join(sess, "\r\n")+"\r\n\r\n", 200, "", corsApp)

	// Modern: a JSON answer, an SSE answer, a 202, errors.
	modern := []string{app, "MCP-Protocol-Version: 2026-07-28", "Mcp-Method: tools/call"}
	f("modern call, JSON", post(host, `{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"},`+modernMeta+`}}`,
		append(modern, "Mcp-Name: echo")...), 200, "application/json", corsApp)
	f("modern call, SSE", post(host, `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"steps","arguments":{},"_meta":{"progressToken":7,`+
		strings.TrimSuffix(strings.TrimPrefix(modernMeta, `"_meta":{`), "}")+`}}}`, append(modern, "Mcp-Name: steps")...), 200, "text/event-stream", corsApp)
	f("modern header mismatch", post(host, `{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"},`+modernMeta+`}}`,
		append(modern, "Mcp-Name: other")...), 400, "application/json", corsApp)
	f("modern Mcp-Param check", post(host, `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"route","arguments":{"region":"eu"},`+modernMeta+`}}`,
		append(modern, "Mcp-Name: route", "Mcp-Param-Region: us")...), 400, "application/json", corsApp)
	f("modern notification (202)", post(host, `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1,`+modernMeta+`}}`,
		app, "MCP-Protocol-Version: 2026-07-28", "Mcp-Method: notifications/cancelled"), 202, "", corsApp)
	f("modern GET (405)", "GET /mcp HTTP/1.1\r\nHost: "+host+"\r\n"+app+"\r\nMCP-Protocol-Version: 2026-07-28\r\n\r\n", 405, "text/plain", corsApp)

	// Errors before any era is known.
	f("bad JSON", post(host, `{"jsonrpc":`, app), 400, "application/json", corsApp)
	f("wrong Content-Type", strings.Replace(post(host, initBody, app), "application/json\r\n", "text/plain\r\n", 1), 415, "application/json", corsApp)
	f("PUT (405)", "PUT /mcp HTTP/1.1\r\nHost: "+host+"\r\n"+app+"\r\nContent-Length: 0\r\n\r\n", 405, "text/plain", corsApp)

	// An origin that may call but is not configured for CORS, and no Origin at all.
	f("other origin", post(host, initBody, "Origin: "+corsOther), 200, "application/json", "")
	f("other origin, preflight", "OPTIONS /mcp HTTP/1.1\r\nHost: "+host+"\r\nOrigin: "+corsOther+"\r\nAccess-Control-Request-Method: POST\r\n\r\n", 204, "", "")
	f("no Origin", post(host, initBody), 200, "application/json", "")
}

// A connection's next request does not inherit the CORS fields of the one
// before it.
func TestCORSPerRequestOnKeepAlive(t *testing.T) {
	url := serveHTTP(t, newTestServer(t, corsOptions(), nil))
	host := hostOf(url)
	c, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	call := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"},` + modernMeta + `}}`
	h := []string{"MCP-Protocol-Version: 2026-07-28", "Mcp-Method: tools/call", "Mcp-Name: echo"}
	for i, origin := range []string{corsApp, "", corsApp, corsOther, corsApp} {
		hdr := h
		if origin != "" {
			hdr = append([]string{"Origin: " + origin}, h...)
		}
		if _, err := io.WriteString(c, post(host, call, hdr...)); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		want := ""
		if origin == corsApp {
			want = corsApp
		}
		if resp.StatusCode != 200 {
			t.Fatalf("request %d: %d", i, resp.StatusCode)
		}
		checkCORS(t, fmt.Sprintf("request %d (Origin %q)", i, origin), resp.Header, want)
	}
}

// The preflight allows the methods, the fixed request fields and the
// Mcp-Param-* fields it is asked for (valid field names only), and may be
// cached; without CORS configured it gets no CORS field at all.
func TestCORSPreflight(t *testing.T) {
	url := serveHTTP(t, newTestServer(t, corsOptions(), corsTools(t)))
	host := hostOf(url)
	preflight := func(url, origin string, requested ...string) *http.Response {
		t.Helper()
		req := "OPTIONS /mcp HTTP/1.1\r\nHost: " + hostOf(url) + "\r\nOrigin: " + origin + "\r\nAccess-Control-Request-Method: POST\r\n"
		for _, r := range requested {
			req += "Access-Control-Request-Headers: " + r + "\r\n"
		}
		resp, _ := rawHTTP(t, url, req+"\r\n")
		if resp.StatusCode != 204 {
			t.Fatalf("preflight: %d", resp.StatusCode)
		}
		return resp
	}
	resp := preflight(url, corsApp, "content-type,mcp-protocol-version,mcp-method,mcp-name,mcp-param-region, Mcp-Param-Zone ,x-custom,mcp-param-,mcp-param-a b",
		"mcp-param-(bad), authorization, mcp-param-second-line")
	checkCORS(t, "preflight", resp.Header, corsApp)
	allow := resp.Header.Values("Access-Control-Allow-Headers")
	for _, want := range []string{"Content-Type", "Accept", "Authorization", "Mcp-Session-Id", "MCP-Protocol-Version",
		"Mcp-Method", "Mcp-Name", "Last-Event-ID", "mcp-param-region", "Mcp-Param-Zone", "mcp-param-second-line"} {
		if !listHas(allow, want) {
			t.Errorf("Access-Control-Allow-Headers %q lacks %s", allow, want)
		}
	}
	for _, bad := range []string{"x-custom", "mcp-param-", "mcp-param-a b", "mcp-param-a", "mcp-param-(bad)"} {
		if listHas(allow, bad) {
			t.Errorf("Access-Control-Allow-Headers %q allows %q", allow, bad)
		}
	}
	if m := resp.Header.Get("Access-Control-Allow-Methods"); !listHas([]string{m}, "POST") || !listHas([]string{m}, "GET") || !listHas([]string{m}, "DELETE") {
		t.Errorf("Access-Control-Allow-Methods %q", m)
	}
	if resp.Header.Get("Access-Control-Max-Age") == "" {
		t.Error("no Access-Control-Max-Age")
	}
	// Without Mcp-Param-* asked for, the fixed list alone.
	resp = preflight(url, corsApp)
	if allow := resp.Header.Get("Access-Control-Allow-Headers"); strings.Contains(strings.ToLower(allow), "mcp-param") || !listHas([]string{allow}, "Mcp-Session-Id") {
		t.Errorf("plain preflight: Access-Control-Allow-Headers %q", allow)
	}
	// The call the preflight was for is answered with the CORS fields.
	resp, body := rawHTTP(t, url, post(host, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"route","arguments":{"region":"eu"},`+modernMeta+`}}`,
		"Origin: "+corsApp, "MCP-Protocol-Version: 2026-07-28", "Mcp-Method: tools/call", "Mcp-Name: route", "mcp-param-region: eu"))
	if resp.StatusCode != 200 || !strings.Contains(body, `"result"`) {
		t.Fatalf("call with Mcp-Param-Region: %d %s", resp.StatusCode, body)
	}
	checkCORS(t, "call with Mcp-Param-Region", resp.Header, corsApp)

	// CORS not configured: an allowed Origin gets no CORS field, on the preflight or after.
	plain := serveHTTP(t, newTestServer(t, &densemcp.Options{Engine: engine.Config{HTTP: engine.HTTPConfig{AllowedOrigins: []string{corsApp}}}}, nil))
	resp = preflight(plain, corsApp, "mcp-param-region")
	checkCORS(t, "preflight without CORS", resp.Header, "")
	if resp.Header.Get("Allow") == "" {
		t.Error("preflight without CORS: no Allow")
	}
	resp, _ = rawHTTP(t, plain, post(hostOf(plain), initBody, "Origin: "+corsApp))
	if resp.StatusCode != 200 {
		t.Fatalf("initialize without CORS: %d", resp.StatusCode)
	}
	checkCORS(t, "initialize without CORS", resp.Header, "")
}

// serveHTTPAt runs s's Streamable HTTP transport on addr until the test ends.
func serveHTTPAt(t *testing.T, s *densemcp.Server, addr string) {
	t.Helper()
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
			return
		}
		if i > 500 {
			t.Fatalf("server never listened: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Authorization's refusals — 401 without a token, 403 for a token short of
// the server's scopes or of a tool's — are readable by a CORS origin, with
// their challenge exposed; the preflight needs no token.
func TestCORSAuthRefusals(t *testing.T) {
	iss := authtest.New(t)
	addr := freeAddr(t)
	resource := "http://" + addr + "/mcp"
	opts := corsOptions()
	opts.Logger = slog.New(slog.DiscardHandler)
	opts.Auth = &auth.Config{Issuer: iss.URL, Audience: resource, Scopes: []string{"mcp"},
		ToolScopes: map[string][]string{"steps": {"mcp:steps"}}, Logger: slog.New(slog.DiscardHandler)}
	serveHTTPAt(t, newTestServer(t, opts, corsTools(t)), addr)
	token := func(scopes ...string) string {
		return iss.Token(t, authtest.Claims{Subject: "alice", Audience: resource, Scopes: scopes})
	}
	call := func(name, tok, tool string, wantStatus int, wantChallenge string) {
		t.Helper()
		h := []string{"Origin: " + corsApp, "MCP-Protocol-Version: 2026-07-28", "Mcp-Method: tools/call", "Mcp-Name: " + tool}
		if tok != "" {
			h = append(h, "Authorization: Bearer "+tok)
		}
		resp, body := rawHTTP(t, resource, post(addr, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"`+tool+`","arguments":{"text":"x"},`+modernMeta+`}}`, h...))
		if resp.StatusCode != wantStatus || !strings.Contains(resp.Header.Get("WWW-Authenticate"), wantChallenge) {
			t.Fatalf("%s: %d %q %s, want %d with a challenge holding %q", name, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body, wantStatus, wantChallenge)
		}
		checkCORS(t, name, resp.Header, corsApp)
	}
	call("no token", "", "echo", 401, `resource_metadata=`)
	call("bad token", "not.a.jwt", "echo", 401, `error="invalid_token"`)
	call("token without the server's scope", token("other"), "echo", 403, `error="insufficient_scope"`)
	call("token without the tool's scope", token("mcp"), "steps", 403, `error="insufficient_scope"`)
	call("good token", token("mcp"), "echo", 200, "")
	// A legacy session with a token, and the preflight (which carries none).
	resp, body := rawHTTP(t, resource, post(addr, initBody, "Origin: "+corsApp, "Authorization: Bearer "+token("mcp")))
	if resp.StatusCode != 200 || resp.Header.Get("Mcp-Session-Id") == "" {
		t.Fatalf("initialize with a token: %d %s", resp.StatusCode, body)
	}
	checkCORS(t, "initialize with a token", resp.Header, corsApp)
	resp, _ = rawHTTP(t, resource, "OPTIONS /mcp HTTP/1.1\r\nHost: "+addr+"\r\nOrigin: "+corsApp+
		"\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: authorization, content-type\r\n\r\n")
	if resp.StatusCode != 204 || !listHas(resp.Header.Values("Access-Control-Allow-Headers"), "Authorization") {
		t.Fatalf("preflight: %d %q", resp.StatusCode, resp.Header.Values("Access-Control-Allow-Headers"))
	}
	checkCORS(t, "preflight", resp.Header, corsApp)
}

// Server.Handler (net/http) answers CORS as the gnet transport does.
func TestCORSNetHTTP(t *testing.T) {
	s := newTestServer(t, corsOptions(), corsTools(t))
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	do := func(method, body string, hdr ...string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, ts.URL+"/mcp", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Add(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	resp := do("OPTIONS", "", "Origin", corsApp, "Access-Control-Request-Method", "POST",
		"Access-Control-Request-Headers", "content-type, mcp-param-region, x-custom")
	checkCORS(t, "net/http preflight", resp.Header, corsApp)
	allow := resp.Header.Values("Access-Control-Allow-Headers")
	if !listHas(allow, "mcp-param-region") || !listHas(allow, "Authorization") || listHas(allow, "x-custom") {
		t.Errorf("net/http preflight: Access-Control-Allow-Headers %q", allow)
	}
	resp = do("POST", initBody, "Origin", corsApp)
	if resp.StatusCode != 200 || resp.Header.Get("Mcp-Session-Id") == "" {
		t.Fatalf("net/http initialize: %d", resp.StatusCode)
	}
	checkCORS(t, "net/http initialize", resp.Header, corsApp)
	if resp.Header.Get("Access-Control-Allow-Headers") != "" {
		t.Errorf("net/http initialize: preflight fields on an actual response: %q", resp.Header.Get("Access-Control-Allow-Headers"))
	}
	resp = do("POST", `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"},`+modernMeta+`}}`,
		"Origin", corsApp, "MCP-Protocol-Version", "2026-07-28", "Mcp-Method", "tools/call", "Mcp-Name", "other")
	if resp.StatusCode != 400 {
		t.Fatalf("net/http header mismatch: %d", resp.StatusCode)
	}
	checkCORS(t, "net/http header mismatch", resp.Header, corsApp)
	resp = do("POST", initBody, "Origin", corsOther)
	checkCORS(t, "net/http other origin", resp.Header, "")
}

// With SSE replay on, the priming head of a POST stream and the head of a
// resumed stream (Last-Event-ID) carry the CORS fields too.
func TestCORSReplayedStream(t *testing.T) {
	opts := corsOptions()
	opts.Engine.HTTP.ReplayEvents = 8
	url := serveHTTP(t, newTestServer(t, opts, corsTools(t)))
	host := hostOf(url)
	app := "Origin: " + corsApp
	resp, _ := rawHTTP(t, url, post(host, initBody, app))
	sid := resp.Header.Get("Mcp-Session-Id")
	sess := []string{app, "Mcp-Session-Id: " + sid, "MCP-Protocol-Version: 2025-11-25"}
	if resp, _ := rawHTTP(t, url, post(host, `{"jsonrpc":"2.0","method":"notifications/initialized"}`, sess...)); resp.StatusCode != 202 {
		t.Fatalf("initialized: %d", resp.StatusCode)
	}
	resp, body := rawHTTP(t, url, post(host, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"steps","arguments":{},"_meta":{"progressToken":2}}}`, sess...))
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("streamed call: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	checkCORS(t, "streamed call with replay", resp.Header, corsApp)
	var first string
	for l := range strings.SplitSeq(body, "\n") {
		if id, ok := strings.CutPrefix(l, "id: "); ok {
			first = id
			break
		}
	}
	if first == "" {
		t.Fatalf("no event id in %q", body)
	}
	resp = openStreamHead(t, url, sid, append(sess[:1:1], "Last-Event-ID: "+first)...)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("resumed stream: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	checkCORS(t, "resumed stream", resp.Header, corsApp)
}

// In a cluster a request for a session held by another node is answered
// from there; the node the browser reached adds the CORS fields, since the
// owner never sees the Origin.
func TestCORSForwardedInCluster(t *testing.T) {
	natsURL := startNATS(t)
	node := func(id string) string {
		opts := corsOptions()
		opts.Logger = slog.New(slog.DiscardHandler)
		opts.Cluster = &densemcp.ClusterConfig{URLs: []string{natsURL}, Name: "cors", NodeID: id, MemoryStorage: true,
			Heartbeat: 100 * time.Millisecond, DeadAfter: time.Second}
		s := newTestServer(t, opts, corsTools(t))
		url := serveHTTP(t, s)
		waitFor(t, "node "+id+" joined", func() bool { _, ok := s.ClusterStats(); return ok })
		return url
	}
	a, b := node("a"), node("b")
	app := "Origin: " + corsApp
	resp, _ := rawHTTP(t, a, post(hostOf(a), initBody, app))
	sid := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != 200 || !strings.HasPrefix(sid, "a.") {
		t.Fatalf("initialize on a: %d %q", resp.StatusCode, sid)
	}
	sess := []string{app, "Mcp-Session-Id: " + sid, "MCP-Protocol-Version: 2025-11-25"}
	f := func(name, req string, wantStatus int, wantType string) {
		t.Helper()
		resp, body := rawHTTP(t, b, req)
		if resp.StatusCode != wantStatus || !strings.HasPrefix(resp.Header.Get("Content-Type"), wantType) {
			t.Fatalf("%s: %d %q %s, want %d %q", name, resp.StatusCode, resp.Header.Get("Content-Type"), body, wantStatus, wantType)
		}
		checkCORS(t, name, resp.Header, corsApp)
	}
	f("forwarded 202", post(hostOf(b), `{"jsonrpc":"2.0","method":"notifications/initialized"}`, sess...), 202, "")
	f("forwarded JSON answer", post(hostOf(b), `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}`, sess...), 200, "application/json")
	f("forwarded SSE answer", post(hostOf(b), `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"steps","arguments":{},"_meta":{"progressToken":3}}}`, sess...), 200, "text/event-stream")
	resp = openStreamHead(t, b, sid, app)
	if resp.StatusCode != 200 {
		t.Fatalf("forwarded GET stream: %d", resp.StatusCode)
	}
	checkCORS(t, "forwarded GET stream", resp.Header, corsApp)
	f("forwarded DELETE", "DELETE /mcp HTTP/1.1\r\nHost: "+hostOf(b)+"\r\n"+strings.Join(sess, "\r\n")+"\r\n\r\n", 200, "")
	f("session gone everywhere", post(hostOf(b), `{"jsonrpc":"2.0","id":4,"method":"tools/list"}`, sess...), 404, "application/json")
}

// A request refused before it is decoded (here: its loop already has as
// many calls in flight as it may) still carries the CORS fields, so the
// page can read the 503 and its Retry-After; another origin's carries none.
func TestCORSOnRefusals(t *testing.T) {
	h := newHold()
	defer h.free()
	opts := corsOptions()
	opts.MaxInFlightPerLoop = 1
	opts.ConcurrencyLimit = 100
	opts.Engine.Loops = 1
	s := newTestServer(t, opts, func(s *densemcp.Server) { h.add(t, s, "hold", false) })
	_, httpAddr := serveOverload(t, s)

	sid := openLegacySession(t, "http://"+httpAddr+"/mcp", httpAddr)
	held, err := net.Dial("tcp", httpAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if _, err := io.WriteString(held, post(httpAddr, callLine("held", "hold"),
		"Mcp-Session-Id: "+sid, "MCP-Protocol-Version: 2025-11-25")); err != nil {
		t.Fatal(err)
	}
	<-h.started
	for _, origin := range []string{corsApp, corsOther} {
		c, err := net.Dial("tcp", httpAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		req := strings.Replace(modernToolCall(httpAddr, "over", "hold"), "\r\n", "\r\nOrigin: "+origin+"\r\n", 1)
		resp, body := httpExchange(t, c, bufio.NewReader(c), req)
		if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("%s: past the loop bound: %d %v %s", origin, resp.StatusCode, resp.Header, body)
		}
		expectRefusal(t, decodeAnswer(t, body), "over", "loop_limit")
		want := origin
		if origin != corsApp {
			want = ""
		}
		checkCORS(t, "refusal to "+origin, resp.Header, want)
	}
}
