package router

import (
	"bytes"
	"strings"
	"testing"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/shards"
)

// A per-request modern session is reused after Close only when nothing it
// handed out can reach it later: inline calls leave it reusable; a
// worker-pool call or a listen does not.
func TestRequestSessionReuse(t *testing.T) {
	r, _, _ := newBenchRouter(t)
	release := make(chan struct{})
	defer close(release)
	err := r.AddTool(Tool{Name: "slow"}, func(*Request, []byte) error { <-release; return nil }, false)
	if err != nil {
		t.Fatal(err)
	}
	sh := r.NewShard(shards.NewInbox(16))
	run := func(line []byte) (*Session, *sink) {
		t.Helper()
		out := &sink{}
		s := r.NewRequestSession(sh, out)
		var dec codec.Decoder
		var m codec.Message
		handleLine(r, s, &dec, &m, line)
		s.Close()
		return s, out
	}
	const meta = `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}`

	const want = `{"jsonrpc":"2.0","id":42,"result":{"content":[{"type":"text","text":"hello, world"}],"structuredContent":{"text":"hello, world"},"resultType":"complete","_meta":{"io.modelcontextprotocol/serverInfo":{"name":"bench","version":"1"}}}}`
	s, out := run(lineCallModern)
	if string(out.last) != want {
		t.Fatalf("answer %s", out.last)
	}
	if sh.Members() != 0 {
		t.Fatalf("a request session without a listen joined its shard (%d members)", sh.Members())
	}
	next := &sink{}
	if !s.Reuse(next) {
		t.Fatal("a session that only ran an inline call was not reusable")
	}
	var dec codec.Decoder
	var m codec.Message
	handleLine(r, s, &dec, &m, bytes.Replace(lineCallModern, []byte(`"id":42`), []byte(`"id":43`), 1))
	if string(next.last) != strings.Replace(want, `"id":42`, `"id":43`, 1) || string(out.last) != want {
		t.Fatalf("reused session answered %q (old transport saw %q)", next.last, out.last)
	}
	if s.Reuse(next) {
		t.Fatal("Reuse accepted a session that is not closed")
	}

	s, _ = run([]byte(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"slow","arguments":{},` + meta + `}}`))
	if s.Reuse(&sink{}) {
		t.Fatal("a session whose call ran on the worker pool was reusable")
	}

	out = &sink{}
	s = r.NewRequestSession(sh, out)
	handleLine(r, s, &dec, &m, []byte(`{"jsonrpc":"2.0","id":8,"method":"subscriptions/listen","params":{"notifications":{"toolsListChanged":true},`+meta+`}}`))
	if !bytes.Contains(out.last, []byte(`subscriptionId`)) {
		t.Fatalf("listen not acknowledged: %s", out.last)
	}
	if sh.Members() != 1 {
		t.Fatalf("a listening request session did not join its shard (%d members)", sh.Members())
	}
	s.Close()
	if sh.Members() != 0 || s.Reuse(&sink{}) {
		t.Fatalf("a closed listening session: %d members, reusable %v", sh.Members(), s.Reuse(&sink{}))
	}
}

// A handler on the worker pool reads its request's _meta from the router's
// own copy: the loop reuses the buffer the request arrived in as soon as
// Handle returns.
func TestPooledRequestMetaOutlivesLoopBuffer(t *testing.T) {
	r, _, _ := newBenchRouter(t)
	release := make(chan struct{})
	seen := make(chan string, 1)
	err := r.AddTool(Tool{Name: "late"}, func(req *Request, _ []byte) error {
		<-release
		seen <- req.TraceParent()
		return nil
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	inbox := shards.NewInbox(16)
	sh := r.NewShard(inbox)
	s := r.NewSession(sh, &sink{})
	var dec codec.Decoder
	var m codec.Message
	buf := []byte(lineInit)
	handleLine(r, s, &dec, &m, buf)
	handleLine(r, s, &dec, &m, []byte(lineInitialized))
	const tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	buf = []byte(`{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"late","arguments":{},"_meta":{"traceparent":"` + tp + `"}}}`)
	handleLine(r, s, &dec, &m, buf)
	// The loop moves on: the bytes the request came in are overwritten.
	for i := range buf {
		buf[i] = 'x'
	}
	m.Reset()
	close(release)
	if got := <-seen; got != tp {
		t.Fatalf("pooled handler read traceparent %q after the loop reused its buffer, want %q", got, tp)
	}
}
