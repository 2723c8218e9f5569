package engine

import (
	"runtime"
	"sync"
	"testing"
	"unsafe"
)

// What the padding of pad.go saves: two loops, each reading the fields of
// its connection that every message reads (l, gone) and writing those that
// every read writes (inTraffic, the timeouts' progress), on two conns that
// share a cache line (allocated plainly, one after the other, as two loops'
// goroutines can get them from one span) and on two padded ones. Each op is
// one such pass on each loop's conn, the two loops running at once: with a
// shared line, each loop's reads miss after the other's writes. Needs two
// CPUs the scheduler gives both goroutines at the same time; on a busy
// machine the gap shrinks. A tight loop is the worst case: in the server
// about a microsecond of other work lies between two passes.
//
//	go test -run '^$' -bench ConnWritesTwoLoops -count 5 ./engine/
func BenchmarkConnWritesTwoLoops(b *testing.B) {
	if runtime.GOMAXPROCS(0) < 2 {
		b.Skip("needs GOMAXPROCS >= 2: the loops must run at once")
	}
	b.Run("shared-line", func(b *testing.B) {
		var keep []*conn
		for {
			x, y := new(conn), new(conn)
			keep = append(keep, x, y)
			lastX := (uintptr(unsafe.Pointer(x)) + unsafe.Sizeof(conn{}) - 1) / cacheLine
			if lastX == uintptr(unsafe.Pointer(y))/cacheLine {
				twoLoopsWrite(b, x, y)
				break
			}
			if len(keep) > 1024 {
				b.Skip("no two consecutive plain conns share a line on this runtime")
			}
		}
		runtime.KeepAlive(keep)
	})
	b.Run("padded", func(b *testing.B) {
		twoLoopsWrite(b, allocConn(), allocConn())
	})
}

// twoLoopsWrite runs b.N passes on x and on y, in two goroutines at once.
func twoLoopsWrite(b *testing.B, x, y *conn) {
	var wg sync.WaitGroup
	b.ResetTimer()
	for _, c := range []*conn{x, y} {
		wg.Go(func() {
			for i := range b.N {
				if c.gone || c.l != nil { // read on every message, never written here
					break
				}
				c.inTraffic = i&1 == 0
				c.touched = true
				c.lastIn = int64(i)
			}
		})
	}
	wg.Wait()
}
