package pool

import (
	"container/heap"
	"testing"
	"time"
)

// simulate drives a limiter with a backlog of calls that never runs dry
// (every slot the limit allows is taken at once) on a synthetic clock.
// rtt gives a call's round-trip time from the number of calls in flight
// when it starts. It returns the limit over the last half of the run.
func simulate(t *testing.T, l *Limiter, start int64, dur time.Duration, rtt func(inflight int) time.Duration) (lo, hi int) {
	t.Helper()
	var q endHeap
	now := start
	end := start + int64(dur)
	lo, hi = 1<<30, 0
	for now < end {
		for l.TryAcquire(now) {
			heap.Push(&q, callEnd{start: now, end: now + int64(rtt(l.InFlight()))})
		}
		if q.Len() == 0 {
			now += int64(time.Millisecond)
			continue
		}
		c := heap.Pop(&q).(callEnd)
		now = c.end
		l.Release(c.start, now)
		if now > start+int64(dur)/2 {
			lo, hi = min(lo, int(l.limit)), max(hi, int(l.limit)) // the adaptive limit, not a probe's pin
		}
	}
	return lo, hi
}

type callEnd struct{ start, end int64 }
type endHeap []callEnd

func (h endHeap) Len() int           { return len(h) }
func (h endHeap) Less(i, j int) bool { return h[i].end < h[j].end }
func (h endHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *endHeap) Push(x any)        { *h = append(*h, x.(callEnd)) }
func (h *endHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// CPU-bound handlers on one core: every call in flight beyond the first
// only adds latency. The limit settles near the core, not at its maximum.
func TestLimiterSettlesNearTheCoreForCPUBoundCalls(t *testing.T) {
	l := NewLimiter(LimitConfig{Max: 4096, Initial: 64})
	lo, hi := simulate(t, l, 0, 30*time.Second, func(n int) time.Duration { return time.Duration(n) * 200 * time.Microsecond })
	if hi > 6 || lo < 1 {
		t.Errorf("limit between %d and %d for a CPU-bound call on one core", lo, hi)
	}
	if m := l.MinRTT(); m < 200*time.Microsecond || m > 400*time.Microsecond {
		t.Errorf("minimum RTT %v, want about 200µs", m)
	}
}

// Handlers that wait (latency independent of concurrency) get as much
// concurrency as the limit's maximum allows.
func TestLimiterGrowsForWaitingCalls(t *testing.T) {
	l := NewLimiter(LimitConfig{Max: 500})
	lo, _ := simulate(t, l, 0, 30*time.Second, func(int) time.Duration { return 20 * time.Millisecond })
	if lo < 400 {
		t.Errorf("limit fell to %d for calls whose latency does not depend on concurrency", lo)
	}
}

// Latency that rises with load past a knee (a backend that saturates at
// 32 calls) holds the limit near the knee: the buffer and the headroom
// let it overshoot by a bounded amount (latency at most twice or so the
// minimum), never run away.
func TestLimiterFindsTheKnee(t *testing.T) {
	l := NewLimiter(LimitConfig{Max: 4096})
	lo, hi := simulate(t, l, 0, 30*time.Second, func(n int) time.Duration {
		return time.Duration(max(n, 32)) * 100 * time.Microsecond
	})
	if lo < 24 || hi > 96 {
		t.Errorf("limit between %d and %d for a backend whose knee is at 32", lo, hi)
	}
}

// A limit that is not used does not grow: a quiet loop keeps its limit
// small, so a sudden burst cannot overrun the handlers.
func TestLimiterDoesNotGrowUnused(t *testing.T) {
	l := NewLimiter(LimitConfig{Max: 4096, Initial: 8})
	now := int64(0)
	for i := 0; i < 10000; i++ { // one call at a time, 1 ms each
		if !l.TryAcquire(now) {
			t.Fatal("refused with nothing in flight")
		}
		now += int64(time.Millisecond)
		l.Release(now-int64(time.Millisecond), now)
	}
	if l.Limit() != 8 {
		t.Errorf("limit %d after 10 s of single calls", l.Limit())
	}
}

// A fixed limit is the limit.
func TestLimiterFixed(t *testing.T) {
	l := NewLimiter(LimitConfig{Fixed: 3})
	for i := 0; i < 3; i++ {
		if !l.TryAcquire(0) {
			t.Fatalf("call %d refused", i)
		}
	}
	if l.TryAcquire(0) || l.Limit() != 3 {
		t.Fatal("a fixed limit of 3 admitted a fourth call")
	}
	l.Release(0, 1)
	if !l.TryAcquire(1) {
		t.Fatal("a released slot was not reusable")
	}
}

// A fixed limit never moves, and no probe pins it, but it measures the
// latency the queue in front of it is bounded by.
func TestLimiterFixedMeasuresLatency(t *testing.T) {
	l := NewLimiter(LimitConfig{Fixed: 2})
	simulate(t, l, 0, 20*time.Second, func(n int) time.Duration { return time.Duration(n) * time.Millisecond })
	if l.Limit() != 2 {
		t.Errorf("a fixed limit of 2 is %d", l.Limit())
	}
	if m, r := l.MinRTT(), l.RTT(); m < time.Millisecond || m > 2*time.Millisecond || r < m {
		t.Errorf("measured minimum %v and latency %v, want about 1-2 ms", m, r)
	}
}
