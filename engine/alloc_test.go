//go:build !race

package engine

import (
	"testing"

	"github.com/densemcp/densemcp/router"
)

// The steady state of a legacy Streamable HTTP tools/call — HTTP parse,
// session lookup, decode, route, handler, response — allocates nothing.
// (It was six before the exchanges were pooled and the session operation
// stopped being a closure, and one, the request id as a string key of the
// session's exchange table, until the pooled exchange kept a buffer for it.)
func TestHTTPToolsCallAllocations(t *testing.T) {
	const depth = 8
	h := newMemHTTP(t)
	run := h.legacyBatch(t, depth)
	if n := testing.AllocsPerRun(100, run); n != 0 {
		t.Fatalf("%v allocations per %d pipelined tools/call, want 0", n, depth)
	}
}

// A modern (2026-07-28) POST runs on a per-request session; the loop reuses
// the exchange and session of an answered inline call, so the steady state
// allocates nothing.
func TestHTTPModernToolsCallAllocations(t *testing.T) {
	for _, metrics := range []bool{false, true} {
		const depth = 8
		h := newMemHTTPWith(t, router.Options{Metrics: metrics})
		run := h.modernBatch(t, depth)
		if n := testing.AllocsPerRun(100, run); n != 0 {
			t.Fatalf("metrics %v: %v allocations per %d pipelined modern tools/call, want 0", metrics, n, depth)
		}
	}
}

// A TCP NDJSON read of pipelined tools/call of echo (schema-validated
// arguments, structured output) — framing, decode, route, handler,
// encode, one write — allocates nothing.
func TestNDJSONToolsCallAllocations(t *testing.T) {
	const depth = 16
	run := newMemNDJSON(t).ndjsonBatch(t, depth)
	if n := testing.AllocsPerRun(100, run); n != 0 {
		t.Fatalf("%v allocations per %d pipelined NDJSON tools/call, want 0", n, depth)
	}
}
