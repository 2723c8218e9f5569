package engine

import (
	"strconv"
	"testing"
	"time"

	"github.com/densemcp/densemcp/router"
)

// memLineConn is one NDJSON connection on a loop of a server that is not
// listening: the test feeds lines to OnTraffic directly.
type memLineConn struct {
	s *Server
	c *memConn
}

func newMemLineConn(tb testing.TB, opts router.Options) *memLineConn {
	tb.Helper()
	h := newMemHTTPWith(tb, opts) // the same server setup, with the ok tool
	c := &memConn{}
	l := h.hc.l
	cn := &conn{c: c, l: l}
	cn.session = h.s.r.NewSession(l.shard, cn)
	c.ctx = cn
	return &memLineConn{s: h.s, c: c}
}

func (m *memLineConn) exchange(raw []byte) []byte {
	m.c.out = m.c.out[:0]
	m.c.in = append(m.c.in[:0], raw...)
	m.s.OnTraffic(m.c)
	return m.c.out
}

// batch returns a function sending depth pipelined tools/call lines on a
// legacy session, checked once here.
func (m *memLineConn) batch(tb testing.TB, depth int) func() {
	tb.Helper()
	m.exchange([]byte(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}` + "\n" +
		`{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n"))
	var b []byte
	for i := range depth {
		b = append(b, `{"jsonrpc":"2.0","id":`+strconv.Itoa(1000+i)+`,"method":"tools/call","params":{"name":"ok","arguments":{}}}`+"\n"...)
	}
	if out := m.exchange(b); countOK(out) != depth {
		tb.Fatalf("answers of %d calls: %q", depth, out)
	}
	return func() { m.exchange(b) }
}

func countOK(out []byte) int {
	n := 0
	for i := 0; i+len(okAnswer) <= len(out); i++ {
		if string(out[i:i+len(okAnswer)]) == string(okAnswer) {
			n++
		}
	}
	return n
}

// BenchmarkMetricsOverhead runs the same in-memory call path with metrics
// off and on in alternating blocks, so both see the same machine (this
// VM's speed drifts over seconds), and reports each one's ns per call and
// the overhead in percent. Depth 1 is one request per read (two clock
// reads per call with metrics on); depth 8 is pipelined (two per read).
func BenchmarkMetricsOverhead(b *testing.B) {
	type path struct {
		name string
		make func(tb testing.TB, opts router.Options, depth int) func()
	}
	paths := []path{
		{"ndjson", func(tb testing.TB, o router.Options, d int) func() { return newMemLineConn(tb, o).batch(tb, d) }},
		{"http-legacy", func(tb testing.TB, o router.Options, d int) func() { return newMemHTTPWith(tb, o).legacyBatch(tb, d) }},
		{"http-modern", func(tb testing.TB, o router.Options, d int) func() { return newMemHTTPWith(tb, o).modernBatch(tb, d) }},
	}
	for _, p := range paths {
		for _, depth := range []int{1, 8} {
			b.Run(p.name+"/k"+strconv.Itoa(depth), func(b *testing.B) {
				off := p.make(b, router.Options{}, depth)
				on := p.make(b, router.Options{Metrics: true}, depth)
				const block = 64
				var tOff, tOn time.Duration
				calls := 0
				b.ReportAllocs()
				for b.Loop() {
					t0 := time.Now()
					for range block {
						off()
					}
					t1 := time.Now()
					for range block {
						on()
					}
					tOn += time.Since(t1)
					tOff += t1.Sub(t0)
					calls += block * depth
				}
				nsOff := float64(tOff.Nanoseconds()) / float64(calls)
				nsOn := float64(tOn.Nanoseconds()) / float64(calls)
				b.ReportMetric(nsOff, "ns/call-off")
				b.ReportMetric(nsOn, "ns/call-on")
				b.ReportMetric(100*(nsOn-nsOff)/nsOff, "%overhead")
			})
		}
	}
}

// BenchmarkMetricsPath runs one configuration alone per sub-benchmark
// (metrics off or on; one request per read), for instruction counts under
// callgrind (perf/metrics.sh): unlike ns/call, they do not move with the
// load of a shared machine.
func BenchmarkMetricsPath(b *testing.B) {
	for _, p := range []struct {
		name string
		make func(tb testing.TB, opts router.Options) func()
	}{
		{"ndjson", func(tb testing.TB, o router.Options) func() { return newMemLineConn(tb, o).batch(tb, 1) }},
		{"http-modern", func(tb testing.TB, o router.Options) func() { return newMemHTTPWith(tb, o).modernBatch(tb, 1) }},
	} {
		for _, on := range []bool{false, true} {
			name := p.name + "/off"
			if on {
				name = p.name + "/on"
			}
			b.Run(name, func(b *testing.B) {
				call := p.make(b, router.Options{Metrics: on})
				b.ReportAllocs()
				for b.Loop() {
					call()
				}
			})
		}
	}
}
