package router

import (
	"slices"
	"testing"
	"time"

	"github.com/densemcp/densemcp/codec"
)

// BenchmarkToolsCallInline measures decode → route → validate → handler →
// encode of one tools/call on a legacy session (the per-core hot path).
func BenchmarkToolsCallInline(b *testing.B) {
	r, s, _ := newBenchRouter(b)
	var dec codec.Decoder
	var m codec.Message
	handleLine(r, s, &dec, &m, lineInit)
	handleLine(r, s, &dec, &m, lineInitialized)
	b.ReportAllocs()
	b.SetBytes(int64(len(lineCall)))
	for b.Loop() {
		handleLine(r, s, &dec, &m, lineCall)
	}
}

// BenchmarkToolsCallInlineHooked is BenchmarkToolsCallInline with a no-op
// hook in both directions: what a middleware chain costs the hot path.
func BenchmarkToolsCallInlineHooked(b *testing.B) {
	r, s, _ := newBenchRouter(b)
	r.SetHooks(&Hooks{Receive: noopHook, Send: noopHook})
	var dec codec.Decoder
	var m codec.Message
	handleLine(r, s, &dec, &m, lineInit)
	handleLine(r, s, &dec, &m, lineInitialized)
	b.ReportAllocs()
	b.SetBytes(int64(len(lineCall)))
	for b.Loop() {
		handleLine(r, s, &dec, &m, lineCall)
	}
}

func BenchmarkToolsCallInlineModern(b *testing.B) {
	r, s, _ := newBenchRouter(b)
	var dec codec.Decoder
	var m codec.Message
	b.ReportAllocs()
	b.SetBytes(int64(len(lineCallModern)))
	for b.Loop() {
		handleLine(r, s, &dec, &m, lineCallModern)
	}
}

func BenchmarkToolsList(b *testing.B) {
	r, s, _ := newBenchRouter(b)
	var dec codec.Decoder
	var m codec.Message
	handleLine(r, s, &dec, &m, lineInit)
	handleLine(r, s, &dec, &m, lineInitialized)
	line := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`)
	b.ReportAllocs()
	for b.Loop() {
		handleLine(r, s, &dec, &m, line)
	}
}

// BenchmarkHookOverhead times the legacy inline call without and with a
// no-op hook back to back and reports the median paired ratio.
func BenchmarkHookOverhead(b *testing.B) {
	mk := func(hooks *Hooks) func() {
		r, s, _ := newBenchRouter(b)
		r.SetHooks(hooks)
		var dec codec.Decoder
		var m codec.Message
		handleLine(r, s, &dec, &m, lineInit)
		handleLine(r, s, &dec, &m, lineInitialized)
		return func() { handleLine(r, s, &dec, &m, lineCall) }
	}
	plain, hooked := mk(nil), mk(&Hooks{Receive: noopHook, Send: noopHook})
	var ratios []float64
	for b.Loop() {
		t0 := time.Now()
		for range 64 {
			plain()
		}
		t1 := time.Now()
		for range 64 {
			hooked()
		}
		t2 := time.Now()
		ratios = append(ratios, float64(t2.Sub(t1))/float64(t1.Sub(t0)))
	}
	slices.Sort(ratios)
	b.ReportMetric((ratios[len(ratios)/2]-1)*100, "overhead-%")
}

// BenchmarkToolsCallInlineMetrics is BenchmarkToolsCallInline with
// Options.Metrics on: the price of counting and timing each call (two
// clock reads here, since no transport stamps the arrival time).
func BenchmarkToolsCallInlineMetrics(b *testing.B) {
	r, s, _ := newBenchRouterWith(b, Options{Metrics: true})
	var dec codec.Decoder
	var m codec.Message
	handleLine(r, s, &dec, &m, lineInit)
	handleLine(r, s, &dec, &m, lineInitialized)
	b.ReportAllocs()
	b.SetBytes(int64(len(lineCall)))
	for b.Loop() {
		handleLine(r, s, &dec, &m, lineCall)
	}
}
