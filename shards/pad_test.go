package shards

import (
	"slices"
	"testing"
	"unsafe"
)

var shardSink []*Shard

// Shards allocated one after another, as a server allocates one per loop at
// start, never share a cache line: each, with its padding, starts and ends
// on line boundaries.
func TestShardsShareNoLine(t *testing.T) {
	defer func() { shardSink = nil }()
	var starts []uintptr
	for i := range 64 {
		s := New(i, nil)
		shardSink = append(shardSink, s)
		starts = append(starts, uintptr(unsafe.Pointer(s))-shardPad)
	}
	slices.Sort(starts)
	size := unsafe.Sizeof(paddedShard{})
	for i := 1; i < len(starts); i++ {
		if last, next := (starts[i-1]+size-1)/cacheLine, starts[i]/cacheLine; last >= next {
			t.Fatalf("shards at %#x and %#x (%d bytes each) share a cache line", starts[i-1], starts[i], size)
		}
	}
}
