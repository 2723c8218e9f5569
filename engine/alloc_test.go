//go:build !race

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

// The steady state of a legacy Streamable HTTP tools/call — HTTP parse,
// session lookup, decode, route, handler, response — allocates one object
// per request: the request id as the key of the session's exchange table.
// (It was six before the exchanges were pooled and the session operation
// stopped being a closure.)
func TestHTTPToolsCallAllocations(t *testing.T) {
	r := router.New(router.Implementation{Name: "alloc", Version: "1"}, router.Options{})
	err := r.AddTool(router.Tool{Name: "ok", Inline: true}, func(req *router.Request, _ []byte) error {
		req.Result.AddText("ok")
		return nil
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	s := New(r, Config{Loops: 1}, nil)
	s.http = newHTTPState(s, "127.0.0.1:8080")
	l := s.newLoop(0)
	c := &memConn{}
	s.openHTTP(c, l)
	hc := c.ctx.(*httpConn)

	c.in = append(c.in, httpPost("", `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)...)
	s.trafficHTTP(hc)
	_, rest, ok := bytes.Cut(c.out, []byte("Mcp-Session-Id: "))
	if !ok {
		t.Fatalf("no session id in %q", c.out)
	}
	sid := string(rest[:bytes.IndexByte(rest, '\r')])
	c.out = c.out[:0]
	c.in = append(c.in, httpPost(sid, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)...)
	s.trafficHTTP(hc)
	if !bytes.HasPrefix(c.out, []byte("HTTP/1.1 202 ")) {
		t.Fatalf("initialized: %q", c.out)
	}

	const depth = 8
	var batch []byte
	for i := range depth {
		batch = append(batch, httpPost(sid, `{"jsonrpc":"2.0","id":`+strconv.Itoa(1000+i)+`,"method":"tools/call","params":{"name":"ok","arguments":{}}}`)...)
	}
	want := []byte(`"content":[{"type":"text","text":"ok"}]`)
	run := func() {
		c.out = c.out[:0]
		c.in = append(c.in[:0], batch...)
		s.trafficHTTP(hc)
	}
	run()
	if n := bytes.Count(c.out, want); n != depth {
		t.Fatalf("%d answers of %d in %q", n, depth, c.out)
	}
	n := testing.AllocsPerRun(100, run)
	if n > depth {
		t.Fatalf("%v allocations per %d pipelined tools/call, want at most one each", n, depth)
	}
}

// A modern (2026-07-28) POST runs on a per-request session; the loop reuses
// the exchange and session of an answered inline call, so the steady state
// allocates nothing.
func TestHTTPModernToolsCallAllocations(t *testing.T) {
	r := router.New(router.Implementation{Name: "alloc", Version: "1"}, router.Options{})
	err := r.AddTool(router.Tool{Name: "ok", Inline: true}, func(req *router.Request, _ []byte) error {
		req.Result.AddText("ok")
		return nil
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	s := New(r, Config{Loops: 1}, nil)
	s.http = newHTTPState(s, "127.0.0.1:8080")
	l := s.newLoop(0)
	c := &memConn{}
	s.openHTTP(c, l)
	hc := c.ctx.(*httpConn)

	const depth = 8
	var batch []byte
	for i := range depth {
		body := `{"jsonrpc":"2.0","id":` + strconv.Itoa(1000+i) + `,"method":"tools/call","params":{"name":"ok","arguments":{},` +
			`"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}`
		batch = append(batch, "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: application/json\r\n"+
			"Accept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2026-07-28\r\nMcp-Method: tools/call\r\n"+
			"Mcp-Name: ok\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body...)
	}
	want := []byte(`"content":[{"type":"text","text":"ok"}]`)
	run := func() {
		c.out = c.out[:0]
		c.in = append(c.in[:0], batch...)
		s.trafficHTTP(hc)
	}
	run()
	if n := bytes.Count(c.out, want); n != depth {
		t.Fatalf("%d answers of %d in %q", n, depth, c.out)
	}
	if n := testing.AllocsPerRun(100, run); n != 0 {
		t.Fatalf("%v allocations per %d pipelined modern tools/call, want 0", n, depth)
	}
}
