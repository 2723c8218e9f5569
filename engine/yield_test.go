package engine

import (
	"runtime"
	"sync/atomic"
	"testing"
)

// A loop that stays busy lets the goroutines it handed work to run: on one
// P, a goroutine made runnable while the loop handles traffic has run
// within a few yieldEvery traffic events, without the loop ever blocking.
// (A yield runs what is runnable before the loop, except when the
// scheduler's periodic fairness check takes the loop back from the global
// queue first, one schedule in 61: so a few yields, not one.)
func TestLoopYieldsToHandlers(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	l := &loop{}
	for round := range 20 {
		var ran atomic.Bool
		go ran.Store(true) // a handler's goroutine, runnable from now on
		for i := 0; i < 4*yieldEvery && !ran.Load(); i++ {
			l.yield() // the loop handles one more traffic event
		}
		if !ran.Load() {
			t.Fatalf("round %d: a runnable goroutine did not run during %d traffic events of a busy loop", round, 4*yieldEvery)
		}
	}
}
