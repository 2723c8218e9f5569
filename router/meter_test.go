package router

import (
	"context"
	"errors"
	"testing"

	"github.com/densemcp/densemcp/codec"
)

// opCount finds a snapshot row's count.
func opCount(snap *MeterSnapshot, method, errT uint8, tool int32) uint64 {
	for _, op := range snap.Ops {
		if op.Method == method && op.ErrType == errT && op.Tool == tool {
			return op.Count
		}
	}
	return 0
}

// Every request is counted once under its method, tool label and error
// type; its histogram buckets add up to its count.
func TestMeterCountsRequests(t *testing.T) {
	r, s, _ := newBenchRouterWith(t, Options{Metrics: true})
	if err := r.AddTool(Tool{Name: "fail", Inline: true}, func(*Request, []byte) error { return errors.New("no") }, false); err != nil {
		t.Fatal(err)
	}
	var dec codec.Decoder
	var m codec.Message
	for _, l := range [][]byte{lineInit, lineInitialized, lineCall, lineCall,
		[]byte(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"fail"}}`),
		[]byte(`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"nope"}}`),
		[]byte(`{"jsonrpc":"2.0","id":4,"method":"made/up"}`),
		[]byte(`{"jsonrpc":"2.0","id":5,"method":"ping"}`),
		[]byte(`{"jsonrpc":"2.0","id":6,`),
	} {
		handleLine(r, s, &dec, &m, l)
	}
	var snap MeterSnapshot
	r.SnapshotShard(s.shard, &snap)
	labels := r.ToolLabels()
	echo, fail := int32(-1), int32(-1)
	for i, n := range labels {
		switch n {
		case "echo":
			echo = int32(i)
		case "fail":
			fail = int32(i)
		}
	}
	f := func(want uint64, method, errT uint8, tool int32) {
		t.Helper()
		if got := opCount(&snap, method, errT, tool); got != want {
			t.Errorf("%s %q tool %d: %d, want %d", MethodName(method), ErrTypeName(errT), tool, got, want)
		}
	}
	f(1, MethodInitialize, ErrTypeNone, -1)
	f(2, MethodToolsCall, ErrTypeNone, echo)
	f(1, MethodToolsCall, ErrTypeTool, fail)
	f(1, MethodToolsCall, ErrTypeInvalidParams, -1)
	f(1, MethodOther, ErrTypeMethodNotFound, -1)
	f(1, MethodPing, ErrTypeNone, -1)
	f(1, MethodInvalid, ErrTypeParse, -1)
	var total uint64
	for _, op := range snap.Ops {
		var sum uint64
		for _, n := range op.Buckets {
			sum += n
		}
		if sum != op.Count {
			t.Errorf("%+v: buckets add to %d, count %d", op, sum, op.Count)
		}
		total += op.Count
	}
	if total != 8 {
		t.Errorf("%d requests counted, want 8 (a notification is not a request)", total)
	}
}

// Without Metrics nothing is counted and no clock is read.
func TestMeterOffCountsNothing(t *testing.T) {
	r, s, _ := newBenchRouter(t)
	var dec codec.Decoder
	var m codec.Message
	handleLine(r, s, &dec, &m, lineInit)
	var snap MeterSnapshot
	r.SnapshotShard(s.shard, &snap)
	if len(snap.Ops) != 0 {
		t.Fatalf("counted with metrics off: %+v", snap.Ops)
	}
}

type fakeSpan struct {
	start *SpanStart
	ended string
	done  bool
}

func (s *fakeSpan) End(errType string) { s.ended, s.done = errType, true }

type fakeTracer struct{ spans []*fakeSpan }

type spanKey struct{}

func (f *fakeTracer) Start(ctx context.Context, sp *SpanStart) (context.Context, Span) {
	s := &fakeSpan{start: sp}
	f.spans = append(f.spans, s)
	return context.WithValue(ctx, spanKey{}, s), s
}

// A tracer gets one span per request, started before the handler (whose
// context carries it) with the request's attributes and _meta trace
// context, ended with the error type.
func TestTracerSpanPerRequest(t *testing.T) {
	tr := &fakeTracer{}
	r, s, _ := newBenchRouterWith(t, Options{Tracer: tr})
	var seen any
	if err := r.AddTool(Tool{Name: "ctx", Inline: true}, func(req *Request, _ []byte) error {
		seen = req.Context().Value(spanKey{})
		return errors.New("failed")
	}, false); err != nil {
		t.Fatal(err)
	}
	var dec codec.Decoder
	var m codec.Message
	handleLine(r, s, &dec, &m, lineCallModern)
	handleLine(r, s, &dec, &m, []byte(`{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"ctx","_meta":{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01","tracestate":"k=v","io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}`))
	if len(tr.spans) != 2 {
		t.Fatalf("%d spans, want 2", len(tr.spans))
	}
	a, b := tr.spans[0], tr.spans[1]
	if !a.done || a.ended != "" || a.start.Method != "tools/call" || a.start.Target != "echo" || a.start.ToolName != "echo" ||
		a.start.ProtocolVersion != "2026-07-28" || a.start.RequestID != "42" || a.start.NetworkTransport != "tcp" {
		t.Errorf("first span: %+v ended %q", a.start, a.ended)
	}
	if !b.done || b.ended != "tool_error" || b.start.TraceParent != "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" ||
		b.start.TraceState != "k=v" || b.start.RequestID != "a" {
		t.Errorf("second span: %+v ended %q", b.start, b.ended)
	}
	if seen != b {
		t.Errorf("handler context carries %v, want the request's span", seen)
	}
}

// Requests that pass through middleware are counted too, with the error
// type of the answer the middleware let out.
func TestMeterCountsThroughMiddleware(t *testing.T) {
	r, s, _ := newBenchRouterWith(t, Options{Metrics: true})
	if err := r.AddTool(Tool{Name: "fail", Inline: true}, func(*Request, []byte) error { return errors.New("no") }, false); err != nil {
		t.Fatal(err)
	}
	r.SetHooks(&Hooks{Receive: func(ctx context.Context, c *Call) ([]byte, error) { return c.Continue(ctx) }})
	var dec codec.Decoder
	var m codec.Message
	for _, l := range [][]byte{lineInit, lineInitialized, lineCall,
		[]byte(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"fail"}}`),
		[]byte(`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"nope"}}`),
	} {
		handleLine(r, s, &dec, &m, l)
	}
	var snap MeterSnapshot
	r.SnapshotShard(s.shard, &snap)
	var total uint64
	for _, op := range snap.Ops {
		total += op.Count
	}
	if total != 4 {
		t.Fatalf("%d requests counted through middleware, want 4: %+v", total, snap.Ops)
	}
	if opCount(&snap, MethodToolsCall, ErrTypeTool, 1) != 1 || opCount(&snap, MethodToolsCall, ErrTypeInvalidParams, -1) != 1 ||
		opCount(&snap, MethodToolsCall, ErrTypeNone, 0) != 1 {
		t.Fatalf("through middleware: %+v", snap.Ops)
	}
}

// With middleware, the request's span still reaches the middleware's
// context and, through Continue, the handler's: inline and blocking
// handlers alike.
func TestTracerSpanThroughMiddleware(t *testing.T) {
	tr := &fakeTracer{}
	r, s, _ := newBenchRouterWith(t, Options{Tracer: tr})
	seen := make(chan any, 1)
	for _, inline := range []bool{true, false} {
		name := "blocking"
		if inline {
			name = "inline"
		}
		if err := r.AddTool(Tool{Name: name, Inline: inline}, func(req *Request, _ []byte) error {
			seen <- req.Context().Value(spanKey{})
			return nil
		}, false); err != nil {
			t.Fatal(err)
		}
	}
	var inHook any
	r.SetHooks(&Hooks{Receive: func(ctx context.Context, c *Call) ([]byte, error) {
		if c.Method() == "tools/call" {
			inHook = ctx.Value(spanKey{})
		}
		return c.Continue(ctx)
	}})
	var dec codec.Decoder
	var m codec.Message
	handleLine(r, s, &dec, &m, lineInit)
	handleLine(r, s, &dec, &m, lineInitialized)
	for _, name := range []string{"inline", "blocking"} {
		n := len(tr.spans)
		handleLine(r, s, &dec, &m, []byte(`{"jsonrpc":"2.0","id":"`+name+`","method":"tools/call","params":{"name":"`+name+`"}}`))
		got := <-seen
		if len(tr.spans) != n+1 {
			t.Fatalf("%s: %d spans, want %d", name, len(tr.spans), n+1)
		}
		sp := tr.spans[n]
		if got != sp {
			t.Errorf("%s: the handler's context carries %v, want the request's span %v", name, got, sp)
		}
		if inHook != sp {
			t.Errorf("%s: the middleware's context carries %v, want the request's span %v", name, inHook, sp)
		}
	}
}
