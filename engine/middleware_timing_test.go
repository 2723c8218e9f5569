package engine

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/densemcp/densemcp/router"
)

// rootCall and noopMiddleware reproduce what the root package installs for
// one no-op Middleware: the hook finds its view of the Call in Ext and runs
// the composed chain, whose end calls Continue.
type rootCall struct{ c *router.Call }

type methodHandler func(ctx context.Context, c *rootCall) ([]byte, error)

func noopMiddleware(next methodHandler) methodHandler {
	return func(ctx context.Context, c *rootCall) ([]byte, error) { return next(ctx, c) }
}

func noopHooks() *router.Hooks {
	chain := noopMiddleware(func(ctx context.Context, c *rootCall) ([]byte, error) { return c.c.Continue(ctx) })
	hook := func(ctx context.Context, rc *router.Call) ([]byte, error) {
		c, ok := rc.Ext.(*rootCall)
		if !ok {
			c = &rootCall{c: rc}
			rc.Ext = c
		}
		return chain(ctx, c)
	}
	return &router.Hooks{Receive: hook, Send: hook}
}

// ndjsonBatch returns a function that feeds depth pipelined tools/call
// lines to one NDJSON connection of a server that is not listening (the
// whole userland path of OnTraffic: framing, decode, route, handler,
// encode, one write), checked once here.
func ndjsonBatch(tb testing.TB, hooks *router.Hooks, depth int) func() {
	tb.Helper()
	h := newMemHTTP(tb) // its server and loop; the connection below is NDJSON
	h.s.r.SetHooks(hooks)
	c := &memConn{}
	cn := &conn{c: c, l: h.s.loopByIndex(0)}
	cn.session = h.s.r.NewSession(cn.l.shard, cn)
	c.SetContext(cn)
	feed := func(in []byte) []byte {
		c.out = c.out[:0]
		c.in = append(c.in[:0], in...)
		h.s.OnTraffic(c)
		return c.out
	}
	if out := feed([]byte(initLines)); !bytes.Contains(out, []byte(`"protocolVersion"`)) {
		tb.Fatalf("initialize: %q", out)
	}
	var batch []byte
	for i := range depth {
		batch = append(batch, `{"jsonrpc":"2.0","id":`+strconv.Itoa(1000+i)+`,"method":"tools/call","params":{"name":"ok","arguments":{}}}`+"\n"...)
	}
	if out := feed(batch); bytes.Count(out, okAnswer) != depth {
		tb.Fatalf("answers of %d calls: %q", depth, out)
	}
	return func() { feed(batch) }
}

// BenchmarkMiddlewareOverhead measures what one no-op middleware adds to
// the whole userland path of a call, per transport: each iteration times a
// batch on a server without middleware and the same batch on one with it,
// back to back, and the reported overhead is the median of the paired
// ratios (this VM's speed drifts too much for two separate benchmarks to
// be compared). Kernel time (the socket read and write) is not in either,
// so the share of a server's whole CPU per call is smaller still.
func BenchmarkMiddlewareOverhead(b *testing.B) {
	const reps = 32 // batches per timed sample, so the clock read is noise
	f := func(name string, mk func(hooks *router.Hooks) func(), calls int) {
		b.Run(name, func(b *testing.B) {
			plain, hooked := mk(nil), mk(noopHooks())
			var ratios []float64
			var tPlain, tHooked time.Duration
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
			n := float64(b.N * reps * calls)
			b.ReportMetric(float64(tPlain.Nanoseconds())/n, "plain-ns/call")
			b.ReportMetric(float64(tHooked.Nanoseconds())/n, "middleware-ns/call")
			b.ReportMetric((ratios[len(ratios)/2]-1)*100, "overhead-%")
		})
	}
	f("tcp-pipelined-16", func(hooks *router.Hooks) func() { return ndjsonBatch(b, hooks, 16) }, 16)
	f("http-legacy", func(hooks *router.Hooks) func() {
		h := newMemHTTP(b)
		h.s.r.SetHooks(hooks)
		return h.legacyBatch(b, 1)
	}, 1)
	f("http-modern", func(hooks *router.Hooks) func() {
		h := newMemHTTP(b)
		h.s.r.SetHooks(hooks)
		return h.modernBatch(b, 1)
	}, 1)
}
