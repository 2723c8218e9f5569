package partial

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// A message appended in pieces of any size comes back whole, and the
// memory held never passes the bytes held plus one segment (twice the
// bytes, for a small message).
func TestBufferAppend(t *testing.T) {
	f := func(total, piece int) {
		t.Helper()
		msg := make([]byte, total)
		for i := range msg {
			msg[i] = byte(rand.IntN(256))
		}
		var b Buffer
		for off := 0; off < total; off += piece {
			b.Append(msg[off:min(off+piece, total)])
			n := b.Len()
			limit := n + SegmentSize
			if n <= SegmentSize {
				limit = max(2*n, minSegment)
			}
			if b.Cap() > limit {
				t.Fatalf("total %d piece %d: holding %d bytes takes %d", total, piece, n, b.Cap())
			}
		}
		if b.Len() != total || !bytes.Equal(b.Bytes(), msg) {
			t.Fatalf("total %d piece %d: got %d bytes back, different", total, piece, b.Len())
		}
		b.Reset(nil)
		if b.Len() != 0 || len(b.Bytes()) != 0 {
			t.Fatal("Reset kept bytes")
		}
		// Reused after Reset.
		b.Append(msg[:min(100, total)])
		if !bytes.Equal(b.Bytes(), msg[:min(100, total)]) {
			t.Fatal("reuse after Reset")
		}
		b.Release(nil)
		if b.Cap() != 0 {
			t.Fatalf("Release kept %d bytes", b.Cap())
		}
	}
	f(1, 1)
	f(511, 7)
	f(513, 512)
	f(1000, 1)
	f(SegmentSize, 1000)
	f(SegmentSize+1, 4096)
	f(3*SegmentSize+17, 65536)
	f(4<<20, 64<<10)
	f(4<<20-1, 1500)
	f(1<<20, 1<<20)
}

// Hold counts what a message holds against the budget once, refuses past
// the limit, and Reset gives it back.
func TestBudget(t *testing.T) {
	bg := NewBudget(3 * SegmentSize)
	var a, b Buffer
	a.Append(make([]byte, 2*SegmentSize))
	held := a.Hold(bg)
	again := a.Hold(bg) // counts nothing more
	if !held || !again || bg.Held() != int64(a.Cap()) {
		t.Fatalf("held %d, want %d", bg.Held(), a.Cap())
	}
	b.Append(make([]byte, 2*SegmentSize))
	if b.Hold(bg) {
		t.Fatal("a second message past the budget was held")
	}
	if bg.Held() != int64(a.Cap()) {
		t.Fatalf("a refused Hold counted: %d", bg.Held())
	}
	a.Reset(bg)
	if bg.Held() != 0 {
		t.Fatalf("Reset left %d counted", bg.Held())
	}
	if !b.Hold(bg) {
		t.Fatal("room after Reset refused")
	}
	b.Release(bg)
	if bg.Held() != 0 {
		t.Fatalf("Release left %d counted", bg.Held())
	}
	var unlimited *Budget
	if !b.Hold(unlimited) || unlimited.Held() != 0 {
		t.Fatal("nil budget")
	}
}

// Appending and resetting a small message reuses the kept segment.
func TestBufferSmallNoAllocs(t *testing.T) {
	var b Buffer
	p := make([]byte, 3000)
	b.Append(p)
	b.Reset(nil)
	if n := testing.AllocsPerRun(100, func() {
		b.Append(p[:1000])
		b.Append(p[1000:])
		_ = b.Bytes()
		b.Reset(nil)
	}); n != 0 {
		t.Fatalf("%v allocations", n)
	}
}
