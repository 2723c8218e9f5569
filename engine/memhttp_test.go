package engine

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/densemcp/densemcp/router"
	"github.com/panjf2000/gnet/v2"
)

// memConn is a gnet.Conn held in memory: the test writes what the client
// sent into in and reads the server's answers from out. Only the methods
// the HTTP transport calls on its own loop are implemented.
type memConn struct {
	gnet.Conn
	in, out []byte
	ctx     any
}

func (c *memConn) Peek(n int) ([]byte, error) {
	if n < 0 || n > len(c.in) {
		return c.in, nil
	}
	return c.in[:n], nil
}

func (c *memConn) Discard(n int) (int, error) {
	if n < 0 || n > len(c.in) {
		n = len(c.in)
	}
	c.in = c.in[:copy(c.in, c.in[n:])]
	return n, nil
}

func (c *memConn) Write(b []byte) (int, error) { c.out = append(c.out, b...); return len(b), nil }
func (c *memConn) InboundBuffered() int        { return len(c.in) }
func (c *memConn) OutboundBuffered() int       { return 0 }
func (c *memConn) Context() any                { return c.ctx }
func (c *memConn) SetContext(ctx any)          { c.ctx = ctx }

func httpPost(sid, body string) string {
	h := "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: application/json\r\n" +
		"Accept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2025-11-25\r\n"
	if sid != "" {
		h += "Mcp-Session-Id: " + sid + "\r\n"
	}
	return h + "Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
}

// memHTTP is one HTTP connection on a loop of a server that is not
// listening: the test feeds requests to trafficHTTP directly, so the
// transport's own work is measured without sockets.
type memHTTP struct {
	s  *Server
	c  *memConn
	hc *httpConn
}

func newMemHTTP(tb testing.TB) *memHTTP {
	tb.Helper()
	return newMemHTTPWith(tb, router.Options{})
}

func newMemHTTPWith(tb testing.TB, opts router.Options) *memHTTP {
	tb.Helper()
	r := router.New(router.Implementation{Name: "mem", Version: "1"}, opts)
	err := r.AddTool(router.Tool{Name: "ok", Inline: true}, func(req *router.Request, _ []byte) error {
		req.Result.AddText("ok")
		return nil
	}, false)
	if err != nil {
		tb.Fatal(err)
	}
	s := New(r, Config{Loops: 1}, nil)
	s.http = newHTTPState(s, "127.0.0.1:8080")
	l := s.newLoop(0)
	c := &memConn{}
	s.openHTTP(c, l)
	return &memHTTP{s: s, c: c, hc: c.ctx.(*httpConn)}
}

// exchange sends raw requests and returns what the server wrote.
func (h *memHTTP) exchange(raw []byte) []byte {
	h.c.out = h.c.out[:0]
	h.c.in = append(h.c.in[:0], raw...)
	h.s.trafficHTTP(h.hc)
	return h.c.out
}

var okAnswer = []byte(`"content":[{"type":"text","text":"ok"}]`)

// legacyBatch opens a legacy session and returns a function that sends
// depth pipelined tools/call on it, checked once here.
func (h *memHTTP) legacyBatch(tb testing.TB, depth int) func() {
	tb.Helper()
	out := h.exchange([]byte(httpPost("", `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)))
	_, rest, ok := bytes.Cut(out, []byte("Mcp-Session-Id: "))
	if !ok {
		tb.Fatalf("no session id in %q", out)
	}
	sid := string(rest[:bytes.IndexByte(rest, '\r')])
	if out := h.exchange([]byte(httpPost(sid, `{"jsonrpc":"2.0","method":"notifications/initialized"}`))); !bytes.HasPrefix(out, []byte("HTTP/1.1 202 ")) {
		tb.Fatalf("initialized: %q", out)
	}
	var batch []byte
	for i := range depth {
		batch = append(batch, httpPost(sid, `{"jsonrpc":"2.0","id":`+strconv.Itoa(1000+i)+`,"method":"tools/call","params":{"name":"ok","arguments":{}}}`)...)
	}
	if out := h.exchange(batch); bytes.Count(out, okAnswer) != depth {
		tb.Fatalf("answers of %d calls: %q", depth, out)
	}
	return func() { h.exchange(batch) }
}

// modernBatch returns a function that sends depth pipelined stateless
// (2026-07-28) tools/call, checked once here.
func (h *memHTTP) modernBatch(tb testing.TB, depth int) func() {
	tb.Helper()
	var batch []byte
	for i := range depth {
		body := `{"jsonrpc":"2.0","id":` + strconv.Itoa(1000+i) + `,"method":"tools/call","params":{"name":"ok","arguments":{},` +
			`"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}`
		batch = append(batch, "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: application/json\r\n"+
			"Accept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2026-07-28\r\nMcp-Method: tools/call\r\n"+
			"Mcp-Name: ok\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body...)
	}
	if out := h.exchange(batch); bytes.Count(out, okAnswer) != depth {
		tb.Fatalf("answers of %d calls: %q", depth, out)
	}
	return func() { h.exchange(batch) }
}

// BenchmarkHTTPToolsCall is the Streamable HTTP transport's whole userland
// path for one tools/call — HTTP parse, session lookup, decode, route,
// handler, response — without sockets: what the server spends on a call
// besides the kernel's read and write.
func BenchmarkHTTPToolsCall(b *testing.B) {
	for _, metrics := range []bool{false, true} {
		// "legacy-metrics", not "legacy/metrics": -bench '/^legacy$' then
		// runs the plain one alone (perf/instr.sh counts it by itself).
		suffix := ""
		if metrics {
			suffix = "-metrics"
		}
		opts := router.Options{Metrics: metrics}
		b.Run("legacy"+suffix, func(b *testing.B) {
			run := newMemHTTPWith(b, opts).legacyBatch(b, 1)
			b.ReportAllocs()
			for b.Loop() {
				run()
			}
		})
		b.Run("modern"+suffix, func(b *testing.B) {
			run := newMemHTTPWith(b, opts).modernBatch(b, 1)
			b.ReportAllocs()
			for b.Loop() {
				run()
			}
		})
	}
}
