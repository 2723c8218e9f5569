package auth

import (
	"runtime"
	"sync/atomic"
	"time"
)

// clockResolution is how often the coarse clock is stamped: a cached
// verdict may be used up to this long past its end (tokens have a leeway
// of their own far larger).
const clockResolution = 100 * time.Millisecond

// coarseClock is the time Check compares cached verdicts with: an atomic
// stamped by a goroutine, because reading the system clock on every
// request cost more than the rest of a cached Check together (profiled on
// a KVM guest: 70% of Check).
type coarseClock struct {
	nanos  atomic.Int64
	source atomic.Pointer[func() time.Time] // a.now, which tests replace
	stop   chan struct{}
}

// startClock stamps a's coarse clock from a.now until a is unreachable.
func (a *Authorizer) startClock() {
	c := &coarseClock{stop: make(chan struct{})}
	a.clock = c
	a.setNow(a.now)
	go func() {
		t := time.NewTicker(clockResolution)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				c.nanos.Store((*c.source.Load())().UnixNano())
			case <-c.stop:
				return
			}
		}
	}()
	// The goroutine holds the clock, not a: when a is dropped, stop it.
	runtime.AddCleanup(a, func(stop chan struct{}) { close(stop) }, c.stop)
}

// setNow makes now the authorizer's clock (tests move time).
func (a *Authorizer) setNow(now func() time.Time) {
	a.now = now
	a.clock.source.Store(&now)
	a.tick()
}

// tick stamps the coarse clock now.
func (a *Authorizer) tick() { a.clock.nanos.Store(a.now().UnixNano()) }

// coarseNow is the stamped time in unix nanoseconds.
func (a *Authorizer) coarseNow() int64 { return a.clock.nanos.Load() }
