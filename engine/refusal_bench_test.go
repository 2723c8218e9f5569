package engine

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/router"
)

// BenchmarkHTTPRefusal is the userland cost of refusing a legacy HTTP
// tools/call after it was decoded and routed (its client is over its
// share: a 429 with Retry-After), as the concurrency limit refuses: what a
// loop spends per refused call past capacity besides read and write.
func BenchmarkHTTPRefusal(b *testing.B) {
	h := newMemHTTPWith(b, router.Options{MaxInFlightPerSession: 1})
	release := make(chan struct{})
	b.Cleanup(func() { close(release) })
	err := h.s.r.AddTool(router.Tool{Name: "block"}, func(req *router.Request, _ []byte) error {
		select {
		case <-release:
		case <-req.Context().Done():
		}
		return nil
	}, false)
	if err != nil {
		b.Fatal(err)
	}
	out := h.exchange([]byte(httpPost("", `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)))
	_, rest, ok := bytes.Cut(out, []byte("Mcp-Session-Id: "))
	if !ok {
		b.Fatalf("no session id in %q", out)
	}
	sid := string(rest[:bytes.IndexByte(rest, '\r')])
	h.exchange([]byte(httpPost(sid, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)))
	call := func(id int) []byte {
		return []byte(httpPost(sid, `{"jsonrpc":"2.0","id":`+strconv.Itoa(id)+`,"method":"tools/call","params":{"name":"block","arguments":{}}}`))
	}
	h.exchange(call(1)) // runs, and blocks until the benchmark ends
	// The refused calls come on a second connection: the first waits for
	// its call's answer.
	c2 := &memConn{}
	h.s.openHTTP(c2, h.hc.l)
	h = &memHTTP{s: h.s, c: c2, hc: c2.ctx.(*httpConn)}
	req := call(2)
	if out := h.exchange(req); !bytes.HasPrefix(out, []byte("HTTP/1.1 429 ")) || !bytes.Contains(out, []byte("Retry-After: ")) {
		b.Fatalf("not refused: %q", out)
	}
	b.ReportAllocs()
	for b.Loop() {
		h.exchange(req)
	}
}

// retryAfterOf reads the retry hint of any refusal the router writes, in
// whole seconds rounded up, whatever the request's id holds.
func TestRetryAfterOf(t *testing.T) {
	for _, c := range []struct {
		ms   int64
		id   string
		want string
	}{
		{0, `1`, "1"}, {100, `7`, "1"}, {1000, `"a"`, "1"}, {1001, `"a"`, "2"}, {2500, `null`, "3"},
		{100, `"\"retryAfterMs\":9000"`, "1"}, // the pattern escaped inside a string id
	} {
		var data []byte
		data = append(data, `{"retryAfterMs":`...)
		data = strconv.AppendInt(data, c.ms, 10)
		data = append(data, `,"reason":"concurrency"}`...)
		msg := codec.AppendError(nil, []byte(c.id), codec.CodeServerBusy, "server busy", data)
		if got := retryAfterOf(msg); got != c.want {
			t.Errorf("retryAfterMs %d, id %s: Retry-After %q, want %q (%s)", c.ms, c.id, got, c.want, msg)
		}
	}
	if got := retryAfterOf([]byte(`{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"x"}}`)); got != "1" {
		t.Errorf("no hint: %q", got)
	}
}
