//go:build !race

package engine

import "testing"

// With authorization on and a token the loop has verified, a modern call
// still allocates nothing and a legacy call no more than without it: the
// cached verification on the loop allocates nothing.
func TestHTTPAuthCachedAllocations(t *testing.T) {
	const depth = 8
	h, tok := newMemHTTPAuth(t)
	if n := testing.AllocsPerRun(100, h.authBatch(t, true, depth, tok)); n != 0 {
		t.Fatalf("%v allocations per %d pipelined modern tools/call with a cached token, want 0", n, depth)
	}
	h, tok = newMemHTTPAuth(t)
	if n := testing.AllocsPerRun(100, h.authBatch(t, false, depth, tok)); n > depth {
		t.Fatalf("%v allocations per %d pipelined legacy tools/call with a cached token, want at most one each (as without)", n, depth)
	}
}
