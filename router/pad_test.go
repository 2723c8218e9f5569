package router

import (
	"slices"
	"testing"
	"unsafe"
)

var padSink []any

// Sessions and shard states never share a cache line with another object
// of their kind: 64 consecutive heap allocations of each (kept, so they
// are on the heap as in the server) are checked pairwise in address order,
// a session with its padding.
func TestHotObjectsShareNoLine(t *testing.T) {
	defer func() { padSink = nil }()
	check := func(name string, starts []uintptr, size uintptr) {
		t.Helper()
		slices.Sort(starts)
		for i := 1; i < len(starts); i++ {
			if (starts[i-1]+size-1)/cacheLine >= starts[i]/cacheLine {
				t.Fatalf("%s objects at %#x and %#x (%d bytes each) share a cache line", name, starts[i-1], starts[i], size)
			}
		}
	}
	var sessions, states []uintptr
	for range 64 {
		s, st := allocSession(), &shardState{}
		padSink = append(padSink, s, st)
		sessions = append(sessions, uintptr(unsafe.Pointer(s))-sessionPad)
		states = append(states, uintptr(unsafe.Pointer(st)))
	}
	check("Session", sessions, unsafe.Sizeof(paddedSession{}))
	check("shardState", states, unsafe.Sizeof(shardState{}))
}
