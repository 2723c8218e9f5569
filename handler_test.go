package densemcp_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/densemcp/densemcp"
	"github.com/densemcp/densemcp/engine"
)

// serveMux mounts s.Handler() at /mcp on a net/http mux beside another
// route, on a loopback httptest server, and returns the server's base URL.
func serveMux(t *testing.T, s *densemcp.Server) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/mcp", s.Handler())
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return hs.URL
}

// Server.Handler mounted on a net/http mux beside another route serves the
// official Go SDK client in both eras — the core flow, server→client
// requests, progress and list_changed — while the other route still works.
func TestSDKClientOverHandler(t *testing.T) {
	s := featureServer(t)
	base := serveMux(t, s)
	sdkHTTPFlow(t, s, base+"/mcp")
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ok" {
		t.Fatalf("the mux's other route: %d %q", resp.StatusCode, body)
	}
}

// The handler applies the transport's rules: Content-Type, Accept, the body
// limit, Host checks on loopback, methods, and sessions that end.
func TestHandlerRules(t *testing.T) {
	s := newTestServer(t, &densemcp.Options{Engine: engine.Config{HTTP: engine.HTTPConfig{MaxBodyBytes: 1024}}}, nil)
	url := serveMux(t, s) + "/mcp"
	do := func(method, body string, hdr ...string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		for i := 0; i+1 < len(hdr); i += 2 {
			if hdr[i] == "Host" {
				req.Host = hdr[i+1]
				continue
			}
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	f := func(name string, resp *http.Response, body string, wantStatus int, wantBody string) {
		t.Helper()
		if resp.StatusCode != wantStatus || !strings.Contains(body, wantBody) {
			t.Fatalf("%s: got %d %q, want %d containing %q", name, resp.StatusCode, body, wantStatus, wantBody)
		}
	}
	r, b := do("POST", `{"x":"`+strings.Repeat("a", 2000)+`"}`)
	f("413", r, b, 413, "too large")
	r, b = do("POST", initBody, "Host", "evil.example.com")
	f("foreign Host", r, b, 403, "forbidden")
	r, b = do("POST", initBody, "Content-Type", "text/plain")
	f("415", r, b, 415, "Content-Type")
	r, b = do("POST", initBody, "Accept", "text/html")
	f("406", r, b, 406, "Accept")
	r, b = do("POST", `{"jsonrpc":"2.0","id":1,"method":"tools/list"`)
	f("bad JSON", r, b, 400, `"code":-32700`)
	r, b = do("PUT", initBody)
	f("PUT", r, b, 405, "")
	r, b = do("POST", `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
	f("no session", r, b, 400, "Mcp-Session-Id header is required")
	r, b = do("POST", `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`, "Mcp-Session-Id", "nope")
	f("unknown session", r, b, 404, "session not found")

	// A legacy session: initialize, a call answered as JSON or SSE, DELETE.
	r, b = do("POST", initBody)
	sid := r.Header.Get("Mcp-Session-Id")
	f("initialize", r, b, 200, `"protocolVersion":"2025-11-25"`)
	if sid == "" {
		t.Fatal("initialize: no Mcp-Session-Id")
	}
	r, b = do("POST", `{"jsonrpc":"2.0","method":"notifications/initialized"}`, "Mcp-Session-Id", sid)
	f("initialized", r, b, 202, "")
	r, b = do("POST", `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}`,
		"Mcp-Session-Id", sid, "Accept", "application/json")
	f("call", r, b, 200, `"text":"hi"`)
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("call answered as %q", ct)
	}
	r, b = do("DELETE", "", "Mcp-Session-Id", sid)
	f("DELETE", r, b, 200, "")
	r, b = do("POST", `{"jsonrpc":"2.0","id":4,"method":"tools/list"}`, "Mcp-Session-Id", sid)
	f("after DELETE", r, b, 404, "session not found")

	// Modern: header checks and the era's statuses.
	const meta = `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}`
	call := `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"echo","arguments":{"text":"yo"},` + meta + `}}`
	r, b = do("POST", call, "MCP-Protocol-Version", "2026-07-28", "Mcp-Method", "tools/call", "Mcp-Name", "echo")
	f("modern call", r, b, 200, `"resultType":"complete"`)
	var ans struct {
		Result struct {
			StructuredContent map[string]string `json:"structuredContent"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(b), &ans); err != nil || ans.Result.StructuredContent["text"] != "yo" {
		t.Fatalf("modern call: %s %v", b, err)
	}
	r, b = do("POST", call, "MCP-Protocol-Version", "2026-07-28", "Mcp-Method", "tools/call", "Mcp-Name", "other")
	f("Mcp-Name mismatch", r, b, 400, `"code":-32020`)
	r, b = do("POST", strings.Replace(call, "tools/call", "nope/nope", 1), "MCP-Protocol-Version", "2026-07-28", "Mcp-Method", "nope/nope")
	f("unknown method", r, b, 404, `"code":-32601`)
	r, b = do("GET", "", "MCP-Protocol-Version", "2026-07-28")
	f("modern GET", r, b, 405, "")
}

// A request whose client goes away is forgotten: its handler is cancelled
// with the modern request's session.
func TestHandlerClientGone(t *testing.T) {
	started := make(chan struct{})
	cancelled := make(chan struct{})
	s := newTestServer(t, nil, func(s *densemcp.Server) {
		if err := s.AddRawTool(&densemcp.Tool{Name: "wait"}, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
			close(started)
			<-req.Context().Done()
			close(cancelled)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
	url := serveMux(t, s) + "/mcp"
	const meta = `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}`
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", url, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"wait",`+meta+`}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("MCP-Protocol-Version", "2026-07-28")
	req.Header.Set("Mcp-Method", "tools/call")
	req.Header.Set("Mcp-Name", "wait")
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	<-started
	cancel()
	<-done
	waitFor(t, "the handler's cancellation", func() bool {
		select {
		case <-cancelled:
			return true
		default:
			return false
		}
	})
}
