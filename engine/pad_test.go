package engine

import (
	"slices"
	"testing"
	"unsafe"
)

var padSink []any

// noSharedLine fails when two of the objects (start addresses, each size
// bytes from its start) touch the same cache line.
func noSharedLine(t *testing.T, name string, starts []uintptr, size uintptr) {
	t.Helper()
	slices.Sort(starts)
	for i := 1; i < len(starts); i++ {
		if lastLine, next := (starts[i-1]+size-1)/cacheLine, starts[i]/cacheLine; lastLine >= next {
			t.Fatalf("%s objects at %#x and %#x (%d bytes each) share a cache line", name, starts[i-1], starts[i], size)
		}
	}
}

// The objects a loop writes on every message never share a cache line with
// another object of their kind, whichever loop it belongs to: 64
// consecutive heap allocations of each (kept, so they are on the heap as in
// the server) are checked pairwise in address order. Each object is checked
// with its padding, so the padding lies before its fields.
func TestHotObjectsShareNoLine(t *testing.T) {
	defer func() { padSink = nil }()
	starts := func(n int, alloc func() (any, unsafe.Pointer)) []uintptr {
		var s []uintptr
		for range n {
			obj, p := alloc()
			padSink = append(padSink, obj)
			s = append(s, uintptr(p))
		}
		return s
	}
	noSharedLine(t, "conn", starts(64, func() (any, unsafe.Pointer) {
		c := allocConn()
		return c, unsafe.Add(unsafe.Pointer(c), -int(connPad))
	}), unsafe.Sizeof(paddedConn{}))
	noSharedLine(t, "httpConn", starts(64, func() (any, unsafe.Pointer) {
		c := allocHTTPConn()
		return c, unsafe.Add(unsafe.Pointer(c), -int(httpConnPad))
	}), unsafe.Sizeof(paddedHTTPConn{}))
	noSharedLine(t, "httpSession", starts(64, func() (any, unsafe.Pointer) {
		hs := allocHTTPSession()
		return hs, unsafe.Add(unsafe.Pointer(hs), -int(httpSessionPad))
	}), unsafe.Sizeof(paddedHTTPSession{}))
	noSharedLine(t, "exchange", starts(64, func() (any, unsafe.Pointer) {
		ex := allocExchange()
		return ex, unsafe.Add(unsafe.Pointer(ex), -int(exchangePad))
	}), unsafe.Sizeof(paddedExchange{}))
	noSharedLine(t, "loop", starts(16, func() (any, unsafe.Pointer) {
		l := &loop{}
		return l, unsafe.Pointer(l)
	}), unsafe.Sizeof(loop{}))
}
