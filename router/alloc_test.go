//go:build !race

package router

import (
	"testing"

	"github.com/densemcp/densemcp/codec"
)

// The steady state of decode → route → encode of a tools/call with an
// inline handler allocates nothing, in both eras.
func TestToolsCallAllocatesNothing(t *testing.T) {
	hooked := false
	f := func(name string, setup [][]byte, line []byte) {
		t.Helper()
		r, s, out := newBenchRouter(t)
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
