package engine

import (
	"runtime"
	"sync/atomic"
	"testing"
)

// A loop that stays busy lets the goroutines it handed work to run: on one
// P, a goroutine made runnable while the loop handles traffic has run
// within yieldEvery traffic events, without the loop ever blocking.
func TestLoopYieldsToHandlers(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	l := &loop{}
	for round := range 3 {
		var ran atomic.Bool
		go ran.Store(true) // a handler's goroutine, runnable from now on
		for i := 0; i < yieldEvery && !ran.Load(); i++ {
			l.yield() // the loop handles one more traffic event
		}
		if !ran.Load() {
			t.Fatalf("round %d: a runnable goroutine did not run during %d traffic events of a busy loop", round, yieldEvery)
		}
	}
}
