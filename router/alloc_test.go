//go:build !race

package router

import (
	"testing"

	"github.com/densemcp/densemcp/codec"
)

// The steady state of decode → route → encode of a tools/call with an
// inline handler allocates nothing, in both eras, with and without a
// no-op middleware; with Metrics on, counting and timing it allocates
// nothing either.
func TestToolsCallAllocatesNothing(t *testing.T) {
	t.Run("metrics off", func(t *testing.T) { testToolsCallAllocs(t, false) })
	t.Run("metrics on", func(t *testing.T) { testToolsCallAllocs(t, true) })
}

func testToolsCallAllocs(t *testing.T, metrics bool) {
	hooked := false
	f := func(name string, setup [][]byte, line []byte) {
		t.Helper()
		r, s, out := newBenchRouterWith(t, Options{Metrics: metrics})
		if hooked {
			r.SetHooks(&Hooks{Receive: noopHook, Send: noopHook})
		}
		var dec codec.Decoder
		var m codec.Message
		for _, l := range setup {
			handleLine(r, s, &dec, &m, l)
		}
		n := testing.AllocsPerRun(200, func() { handleLine(r, s, &dec, &m, line) })
		if n != 0 {
			t.Fatalf("%s: %v allocs per tools/call, want 0 (answer %s)", name, n, out.last)
		}
	}
	f("legacy", [][]byte{lineInit, lineInitialized}, lineCall)
	f("modern", nil, lineCallModern)
	// A no-op middleware keeps the path free of allocations.
	hooked = true
	f("legacy, hooked", [][]byte{lineInit, lineInitialized}, lineCall)
	f("modern, hooked", nil, lineCallModern)
}
