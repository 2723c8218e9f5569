package densemcp

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/router"
	"github.com/densemcp/densemcp/shards"
)

// BenchmarkMiddlewareChain times an inline tools/call on the router path
// (decode, route, handler, encode) of a server without middleware and of
// one with a no-op Middleware on both chains, back to back, and reports
// the median of the paired ratios.
func BenchmarkMiddlewareChain(b *testing.B) {
	noop := func(next MethodHandler) MethodHandler {
		return func(ctx context.Context, c *Call) (json.RawMessage, error) { return next(ctx, c) }
	}
	mk := func(mw []Middleware) func() {
		s := NewServer(Implementation{Name: "bench", Version: "1"}, &Options{ReceivingMiddleware: mw, SendingMiddleware: mw})
		err := AddTool(s, &Tool{Name: "echo", Inline: true}, func(_ context.Context, req *Request, in struct {
			Text string `json:"text"`
		}) (any, error) {
			req.Result.AddText(in.Text)
			return nil, nil
		})
		if err != nil {
			b.Fatal(err)
		}
		out := &sink{}
		sess := s.r.NewSession(s.r.NewShard(shards.NewInbox(16)), out)
		var dec codec.Decoder
		var m codec.Message
		line := func(l string) {
			m.Reset()
			if err := dec.Decode([]byte(l), &m); err != nil {
				b.Fatal(err)
			}
			s.r.Handle(sess, &m)
		}
		line(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"b","version":"1"}}}`)
		line(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
		call := `{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello, world"}}}`
		line(call)
		if string(out.last) != `{"jsonrpc":"2.0","id":42,"result":{"content":[{"type":"text","text":"hello, world"}]}}` {
			b.Fatalf("answer %s", out.last)
		}
		return func() { line(call) }
	}
	plain, hooked := mk(nil), mk([]Middleware{noop})
	var ratios []float64
	var tPlain, tHooked time.Duration
	const reps = 64
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		for range reps {
			plain()
		}
		t1 := time.Now()
		for range reps {
			hooked()
		}
		t2 := time.Now()
		tPlain += t1.Sub(t0)
		tHooked += t2.Sub(t1)
		ratios = append(ratios, float64(t2.Sub(t1))/float64(t1.Sub(t0)))
	}
	slices.Sort(ratios)
	n := float64(b.N * reps)
	b.ReportMetric(float64(tPlain.Nanoseconds())/n, "plain-ns/call")
	b.ReportMetric(float64(tHooked.Nanoseconds())/n, "middleware-ns/call")
	b.ReportMetric((ratios[len(ratios)/2]-1)*100, "overhead-%")
}

// sink is a router transport that keeps the last message.
type sink struct{ last []byte }

func (d *sink) Send(_ router.MsgKind, _, msg []byte) { d.last = append(d.last[:0], msg...) }
