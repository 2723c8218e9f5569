// Package partial holds messages that are still arriving — an HTTP body or
// an NDJSON line spread over several socket reads — in memory sized to what
// has arrived, counted against a server-wide budget.
//
// Why not a growing []byte: append doubles (or grows by a quarter) and
// copies, and every old array stays garbage until the next GC, so a message
// of n bytes costs up to several n in the heap while it arrives; gnet's own
// inbound ring grows the same way (to the next power of two, through a
// pool) and adds a copy when it is peeked across its wrap. A Buffer instead
// holds one segment of a size class while the message is small and fixed
// SegmentSize segments past that: nothing is copied as it grows, and the
// memory held is at most the bytes received plus one segment. The bytes are
// made contiguous once, when the message is complete (Bytes).
package partial

import (
	"sync"
	"sync/atomic"
)

// SegmentSize is the size of the segments a large message is held in, and
// the largest size class of a small one: the slack of a partial message is
// at most this.
const SegmentSize = 64 << 10

// minSegment is the smallest size class.
const minSegment = 512

// numClasses: 512 B, 1 KiB, ..., 64 KiB.
const numClasses = 8

// keepCap is the largest first segment a Buffer keeps across Reset, so a
// connection that repeatedly sends small messages split over reads does not
// take a segment from the pool each time, while one that once sent 4 MiB
// does not keep it while it idles.
const keepCap = 16 << 10

// segment is pooled by pointer, so putting it back allocates nothing.
type segment struct{ b []byte }

var pools [numClasses]sync.Pool

func classOf(size int) int {
	c, s := 0, minSegment
	for s < size && c < numClasses-1 {
		c++
		s <<= 1
	}
	return c
}

func getSegment(class int) *segment {
	if v := pools[class].Get(); v != nil {
		return v.(*segment)
	}
	return &segment{b: make([]byte, minSegment<<class)}
}

func putSegment(s *segment) { pools[classOf(cap(s.b))].Put(s) }

// Budget bounds the bytes held, over all connections, by messages that
// are still arriving. Safe for concurrent use; a nil *Budget is unlimited.
type Budget struct {
	limit int64
	held  atomic.Int64
}

// NewBudget returns a budget of limit bytes.
func NewBudget(limit int64) *Budget { return &Budget{limit: limit} }

// Held is the number of bytes counted now.
func (b *Budget) Held() int64 {
	if b == nil {
		return 0
	}
	return b.held.Load()
}

// Limit is the budget's size.
func (b *Budget) Limit() int64 {
	if b == nil {
		return 0
	}
	return b.limit
}

func (b *Budget) take(n int) bool {
	if b == nil || n <= 0 {
		return true
	}
	if b.held.Add(int64(n)) > b.limit {
		b.held.Add(-int64(n))
		return false
	}
	return true
}

func (b *Budget) give(n int) {
	if b != nil && n > 0 {
		b.held.Add(-int64(n))
	}
}

// Buffer holds one message while it arrives. The zero value is empty and
// ready. Not safe for concurrent use.
type Buffer struct {
	segs    []*segment // all full but the last; either one of any class or all SegmentSize
	n       int        // bytes held
	charged int        // capacity counted against a Budget by Hold
	flat    []byte     // the assembled bytes of a multi-segment message
}

// Len is the number of bytes held.
func (b *Buffer) Len() int { return b.n }

// Cap is the memory held, in bytes.
func (b *Buffer) Cap() int {
	c := 0
	for _, s := range b.segs {
		c += cap(s.b)
	}
	return c
}

// Append copies p to the end of the message.
func (b *Buffer) Append(p []byte) {
	for len(p) > 0 {
		b.flat = nil
		if len(b.segs) == 0 {
			b.segs = append(b.segs, getSegment(classOf(len(p))))
		}
		last := b.segs[len(b.segs)-1]
		used := b.n - (len(b.segs)-1)*SegmentSize // bytes in last
		if room := cap(last.b) - used; room > 0 {
			k := copy(last.b[used:cap(last.b)], p)
			b.n += k
			p = p[k:]
			continue
		}
		if len(b.segs) == 1 && cap(last.b) < SegmentSize {
			// A small message grows by moving to the next size class
			// that fits (at most SegmentSize): a few KiB copied at most
			// a few times, so a small message stays contiguous.
			bigger := getSegment(classOf(min(b.n+len(p), SegmentSize)))
			if cap(bigger.b) <= cap(last.b) {
				panic("BUG: partial: size class did not grow")
			}
			copy(bigger.b, last.b[:b.n])
			putSegment(last)
			b.segs[0] = bigger
			continue
		}
		b.segs = append(b.segs, getSegment(numClasses-1))
	}
}

// Bytes returns the whole message, contiguous. A message in one segment is
// returned in place; a longer one is copied once into a new slice. Valid
// until the next Append or Reset.
func (b *Buffer) Bytes() []byte {
	switch len(b.segs) {
	case 0:
		return nil
	case 1:
		return b.segs[0].b[:b.n]
	}
	if b.flat == nil {
		b.flat = make([]byte, 0, b.n)
		left := b.n
		for _, s := range b.segs {
			k := min(left, len(s.b))
			b.flat = append(b.flat, s.b[:k]...)
			left -= k
		}
	}
	return b.flat
}

// Hold counts the memory the message holds against bg, as a message that
// is still arriving; it reports false, counting nothing more, when bg has
// no room for it. Call it when a message is left incomplete; Reset gives
// the count back. A message that completes within one read is never
// counted.
func (b *Buffer) Hold(bg *Budget) bool {
	c := b.Cap()
	if c <= b.charged {
		return true
	}
	if !bg.take(c - b.charged) {
		return false
	}
	b.charged = c
	return true
}

// Reset forgets the message and gives its count back to bg (the Budget
// given to Hold). A small first segment is kept for the next message.
func (b *Buffer) Reset(bg *Budget) {
	bg.give(b.charged)
	b.charged = 0
	b.n = 0
	b.flat = nil
	keep := 0
	if len(b.segs) > 0 && cap(b.segs[0].b) <= keepCap {
		keep = 1
	}
	for i := keep; i < len(b.segs); i++ {
		putSegment(b.segs[i])
		b.segs[i] = nil
	}
	b.segs = b.segs[:keep]
}

// Release is Reset without keeping anything: the Buffer holds no memory.
func (b *Buffer) Release(bg *Budget) {
	b.Reset(bg)
	for i, s := range b.segs {
		putSegment(s)
		b.segs[i] = nil
	}
	b.segs = b.segs[:0]
}
