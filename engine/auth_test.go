package engine

import (
	"bytes"
	"log/slog"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/densemcp/densemcp/auth"
	"github.com/densemcp/densemcp/auth/authtest"
	"github.com/densemcp/densemcp/router"
)

const authResource = "http://127.0.0.1:8080/mcp"

// newMemHTTPAuth is newMemHTTP behind an authorizer that has already
// verified the returned token (its verdict is in the shared cache, so the
// loop's first Check moves it into its own).
func newMemHTTPAuth(tb testing.TB) (*memHTTP, string) {
	tb.Helper()
	iss := authtest.New(tb)
	a, err := auth.New(auth.Config{Issuer: iss.URL, Audience: authResource, Scopes: []string{"mcp"},
		Logger: slog.New(slog.DiscardHandler)}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tok := iss.Token(tb, authtest.Claims{Subject: "alice", Audience: authResource, Scopes: []string{"mcp"}})
	done := make(chan *router.Principal, 1)
	a.Verify([]byte("Bearer "+tok), func(p *router.Principal, _ int, _ string) { done <- p })
	select {
	case p := <-done:
		if p == nil {
			tb.Fatal("the token was refused")
		}
	case <-time.After(30 * time.Second):
		tb.Fatal("no verdict")
	}
	h := newMemHTTP(tb)
	h.s.http.cfg.Auth = a
	return h, tok
}

// authBatch is depth pipelined tools/call of one era, with a bearer token
// (none when token is ""), checked once.
func (h *memHTTP) authBatch(tb testing.TB, modern bool, depth int, token string) func() {
	tb.Helper()
	auth := ""
	if token != "" {
		auth = "Authorization: Bearer " + token + "\r\n"
	}
	sid := ""
	if !modern {
		out := h.exchange([]byte(withHeader(httpPost("", `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`), auth)))
		_, rest, ok := bytes.Cut(out, []byte("Mcp-Session-Id: "))
		if !ok {
			tb.Fatalf("no session id in %q", out)
		}
		sid = string(rest[:bytes.IndexByte(rest, '\r')])
		if out := h.exchange([]byte(withHeader(httpPost(sid, `{"jsonrpc":"2.0","method":"notifications/initialized"}`), auth))); !bytes.HasPrefix(out, []byte("HTTP/1.1 202 ")) {
			tb.Fatalf("initialized: %q", out)
		}
	}
	var batch []byte
	for i := range depth {
		id := strconv.Itoa(1000 + i)
		if modern {
			body := `{"jsonrpc":"2.0","id":` + id + `,"method":"tools/call","params":{"name":"ok","arguments":{},` +
				`"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}`
			batch = append(batch, "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: application/json\r\n"+auth+
				"Accept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2026-07-28\r\nMcp-Method: tools/call\r\n"+
				"Mcp-Name: ok\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body...)
		} else {
			batch = append(batch, withHeader(httpPost(sid, `{"jsonrpc":"2.0","id":`+id+`,"method":"tools/call","params":{"name":"ok","arguments":{}}}`), auth)...)
		}
	}
	if out := h.exchange(batch); bytes.Count(out, okAnswer) != depth {
		tb.Fatalf("answers of %d calls: %q", depth, out)
	}
	return func() { h.exchange(batch) }
}

// withHeader inserts a header line (with its CRLF) after the request line.
func withHeader(req, line string) string {
	i := len("POST /mcp HTTP/1.1\r\n")
	return req[:i] + line + req[i:]
}

// The memory harness refuses a request without a token, with its
// challenge, and one with a token it verified serves both eras.
func TestMemHTTPAuth(t *testing.T) {
	h, tok := newMemHTTPAuth(t)
	out := h.exchange([]byte(httpPost("", `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2024-11-05","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)))
	if !bytes.HasPrefix(out, []byte("HTTP/1.1 401 ")) || !bytes.Contains(out, []byte(`WWW-Authenticate: Bearer scope="mcp", resource_metadata="http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp"`)) {
		t.Fatalf("initialize without a token: %q", out)
	}
	h.authBatch(t, true, 2, tok)
	h.authBatch(t, false, 2, tok)
}

// BenchmarkHTTPToolsCallAuth is BenchmarkHTTPToolsCall with and without a
// bearer token whose verdict the loop has cached: what authorization adds
// to the server's userland CPU per call (parsing the longer request, the
// header lookup, the cache lookup, the principal). Besides ns/op it
// reports cpu-ns/op, the process's CPU time per call (getrusage), which a
// busy machine's scheduling does not inflate as it does wall time.
// perf/authbench.sh reports the ratio.
func BenchmarkHTTPToolsCallAuth(b *testing.B) {
	for _, era := range []string{"legacy", "modern"} {
		b.Run(era+"/none", func(b *testing.B) {
			measureCPU(b, newMemHTTP(b).authBatch(b, era == "modern", 1, ""))
		})
		b.Run(era+"/cached-token", func(b *testing.B) {
			h, tok := newMemHTTPAuth(b)
			measureCPU(b, h.authBatch(b, era == "modern", 1, tok))
		})
	}
}

// measureCPU runs run as the benchmark's loop and reports cpu-ns/op.
func measureCPU(b *testing.B, run func()) {
	b.ReportAllocs()
	start := cpuNanos()
	for b.Loop() {
		run()
	}
	b.ReportMetric(float64(cpuNanos()-start)/float64(b.N), "cpu-ns/op")
}

// cpuNanos is the process's user and system CPU time so far.
func cpuNanos() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic("BUG: getrusage: " + err.Error())
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
