//go:build !race

package http1

import "testing"

// TestAllocs proves the steady state allocates nothing: a reused Parser and
// Request parsing a typical MCP POST (plain and chunked), the lookups the
// engine does, and the writers appending into a reused buffer.
func TestAllocs(t *testing.T) {
	f := func(name string, fn func()) {
		t.Helper()
		fn() // warm up: buffers grow once
		if n := testing.AllocsPerRun(200, fn); n != 0 {
			t.Fatalf("%s: %v allocations per run; want 0", name, n)
		}
	}
	var p Parser
	var req Request
	post, chunked := mcpPost(), mcpPostChunked()
	f("Parse POST", func() {
		if n, err := p.Parse(post, &req); n != len(post) || err != nil {
			t.Fatalf("Parse = %d, %v", n, err)
		}
	})
	f("Parse chunked POST", func() {
		if n, err := p.Parse(chunked, &req); n != len(chunked) || err != nil {
			t.Fatalf("Parse = %d, %v", n, err)
		}
	})
	f("Parse in two reads", func() {
		if n, err := p.Parse(post[:100], &req); n != 0 || err != nil {
			t.Fatalf("Parse = %d, %v", n, err)
		}
		if n, err := p.Parse(post, &req); n != len(post) || err != nil {
			t.Fatalf("Parse = %d, %v", n, err)
		}
	})
	f("Parse error", func() {
		if _, err := p.Parse([]byte("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"), &req); err == nil {
			t.Fatal("no error")
		}
	})
	p.Parse(post, &req)
	sink := 0
	f("lookups", func() {
		sink += len(req.Header("Mcp-Session-Id")) + len(req.Header("accept")) + len(req.Host())
		req.HeaderValues("Accept", func(v []byte) bool { sink += len(v); return true })
		if req.KeepAlive() && req.ExpectContinue() {
			sink++
		}
	})
	dst := make([]byte, 0, 4096)
	body := req.Body()
	f("AppendResponse", func() {
		dst = AppendResponse(dst[:0], 200, "application/json", body, false)
	})
	f("AppendResponse extra", func() {
		dst = AppendResponse(dst[:0], 200, "application/json", body, true,
			[2]string{"Mcp-Session-Id", "5f0c2b0a6a354d1e9b8e2f6f1b0b7c11"}, [2]string{"Cache-Control", "no-store"})
	})
	id := []byte("s1-42")
	f("SSE", func() {
		dst = AppendSSEHead(dst[:0], [2]string{"Mcp-Session-Id", "5f0c2b0a6a354d1e9b8e2f6f1b0b7c11"})
		dst = AppendSSERetry(dst, id, 1000)
		dst = AppendSSEEvent(dst, id, "message", body)
		dst = AppendSSEEvent(dst, nil, "", []byte("a\nb"))
		dst = AppendSSEComment(dst, "ping")
		dst = AppendLastChunk(dst)
		dst = AppendContinue(dst)
		dst = AppendStatusLine(dst, 299)
	})
	if sink == 0 {
		t.Fatal("lookups found nothing")
	}
}
