package engine

import "runtime"

// Yielding to handlers. A gnet loop is a goroutine that never parks while
// sockets keep it busy: epoll_wait returns at once with more events, and
// a syscall that does not block keeps its P. When the loops saturate the
// Ps (on one core: one loop, GOMAXPROCS=1), the goroutines a loop hands
// work to (blocking handlers on the worker pool, handlers waking from a
// timer, answers posted back) run only when the Go scheduler preempts
// the loop, every 10 ms. Past capacity that is when it matters: a handler
// that waits 20 ms then finishes tens of milliseconds late, the adaptive
// limit reads the delay as crowding and shrinks, the loop spends what it
// saved on refusing more, and goodput collapses (a `work {"waitMillis":20}`
// load at 4× capacity on one core served 2% of its capacity; yielding,
// 80%). So a loop gives up its P every yieldEvery traffic events: the
// runnable goroutines behind it run, and the loop resumes after them.
// With nothing else runnable a yield costs the scheduler one round trip
// (about 100 ns), a few nanoseconds per event.
const yieldEvery = 16

// yield counts one traffic event and yields the P every yieldEvery.
// Loop goroutine only.
func (l *loop) yield() {
	l.events++
	if l.events >= yieldEvery {
		l.events = 0
		runtime.Gosched()
	}
}
