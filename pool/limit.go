package pool

import (
	"math"
	"slices"
	"time"
)

// Defaults of the adaptive concurrency limit (LimitConfig).
const (
	// DefaultLimitInitial is the limit a loop starts with, before any
	// latency has been measured.
	DefaultLimitInitial = 8
	// DefaultLimitBuffer is how far above the minimum round-trip time the
	// sampled latency may rise before the limit shrinks (Envoy's
	// adaptive concurrency filter uses 25% too).
	DefaultLimitBuffer = 0.25
	// DefaultProbeInterval is how often the minimum round-trip time is
	// measured again. Every loop probes in the same interval (the epochs
	// are counted from one process-wide clock), so a loop measuring its
	// minimum does not see the other loops' handlers crowding the CPU.
	DefaultProbeInterval = 5 * time.Second
	// DefaultProbeLimit is the concurrency a loop allows while it measures
	// the minimum round-trip time: one handler per loop, so CPU-bound
	// handlers measure their cost without contention.
	DefaultProbeLimit = 1
	// DefaultProbeSamples is how many calls a probe times.
	DefaultProbeSamples = 8
)

// Window bounds: a window closes once it holds windowSamples calls and is
// at least windowMin old, or is windowMax (or twice the minimum RTT) old.
const (
	windowSamples = 16
	windowCap     = 64
	windowMin     = 10 * time.Millisecond
	windowMax     = 250 * time.Millisecond
	// probeMaxTime bounds a probe when the minimum RTT is unknown; once
	// known, a probe lasts at most 4 of them (and at least probeMinTime).
	probeMaxTime = time.Second
	probeMinTime = 100 * time.Millisecond
)

// LimitConfig configures a Limiter. Zero fields take their defaults.
type LimitConfig struct {
	// Fixed, if > 0, is a fixed limit: no adaptation and no probes. The
	// latency is still measured (MinRTT, RTT): the queue in front of the
	// limit is bounded by it.
	Fixed int
	// Initial, Min and Max bound the adaptive limit (Max default:
	// DefaultWorkers).
	Initial, Min, Max int
	// Buffer is the tolerated rise of latency over the minimum, as a
	// fraction (DefaultLimitBuffer).
	Buffer float64
	// ProbeInterval, ProbeLimit and ProbeSamples configure the periodic
	// measurement of the minimum round-trip time.
	ProbeInterval time.Duration
	ProbeLimit    int
	ProbeSamples  int
}

func (c *LimitConfig) setDefaults() {
	if c.Max <= 0 {
		c.Max = DefaultWorkers
	}
	if c.Min <= 0 {
		c.Min = 1
	}
	if c.Min > c.Max {
		c.Min = c.Max
	}
	if c.Initial <= 0 {
		c.Initial = DefaultLimitInitial
	}
	c.Initial = min(max(c.Initial, c.Min), c.Max)
	if c.Buffer <= 0 {
		c.Buffer = DefaultLimitBuffer
	}
	if c.ProbeInterval <= 0 {
		c.ProbeInterval = DefaultProbeInterval
	}
	if c.ProbeLimit <= 0 {
		c.ProbeLimit = DefaultProbeLimit
	}
	if c.ProbeSamples <= 0 {
		c.ProbeSamples = DefaultProbeSamples
	}
}

// Limiter is the adaptive concurrency limit of one event loop's blocking
// handlers, after Envoy's adaptive concurrency filter and Netflix's
// concurrency-limits gradient: handlers' round-trip times are sampled in
// windows; each window's median against the minimum round-trip time gives
// a gradient, and
//
//	limit = limit × clamp((1+buffer)·minRTT / sampleRTT, 0.5, 2) + headroom
//
// so the limit grows while latency stays near the minimum and shrinks
// as soon as handlers queue for the CPU (or whatever they wait on). The
// minimum is the least window median of the last two ProbeIntervals; a
// loop whose limit was reached (so its windows may all be crowded) also
// probes: it pins the concurrency to ProbeLimit for a few calls and times
// them — the first time the limit binds, then once per ProbeInterval
// while it keeps binding — so the minimum is the latency of an uncrowded
// call and cannot drift up with the load. A limit that was not used (the
// window never had half as many calls in flight) does not grow: a quiet
// loop must not build up a limit that a sudden burst then overruns.
//
// A Limiter is owned by one loop: no method is safe for concurrent use,
// and none takes a lock. Times are nanoseconds on one monotonic clock
// (Now).
type Limiter struct {
	cfg      LimitConfig
	limit    float64
	inflight int
	// minCur and minPrev are the least RTT seen (window medians and
	// probes) in this ProbeInterval and the one before (0: none).
	minCur, minPrev int64
	lastRTT         int64 // median of the last closed window
	saturated       bool  // the limit refused a call since the last probe
	probed          bool  // a probe has finished

	winStart    int64
	win         [windowCap]int64
	winN        int
	winMaxInUse int

	epoch      int64 // probe epoch last seen
	probing    bool
	probeStart int64
	probeClean int64 // calls started at or after this ran uncrowded; 0: not yet
	probe      []int64
	saved      float64 // the limit before the probe
}

// NewLimiter returns a limiter.
func NewLimiter(cfg LimitConfig) *Limiter {
	cfg.setDefaults()
	return &Limiter{cfg: cfg, limit: float64(cfg.Initial), epoch: Now() / int64(cfg.ProbeInterval)}
}

// monoBase is the origin of Now.
var monoBase = time.Now()

// Now returns nanoseconds on the process's monotonic clock.
func Now() int64 { return int64(time.Since(monoBase)) }

// Limit returns the number of calls that may run at once now.
func (l *Limiter) Limit() int {
	if l.cfg.Fixed > 0 {
		return l.cfg.Fixed
	}
	if l.probing {
		return l.cfg.ProbeLimit
	}
	return int(l.limit)
}

// InFlight returns the calls acquired and not released.
func (l *Limiter) InFlight() int { return l.inflight }

// minRTT is the least of the two buckets (0 before any measurement).
func (l *Limiter) minRTT() int64 {
	if l.minCur == 0 || (l.minPrev != 0 && l.minPrev < l.minCur) {
		return l.minPrev
	}
	return l.minCur
}

// noteMin records an RTT as a candidate minimum.
func (l *Limiter) noteMin(rtt int64) {
	if l.minCur == 0 || rtt < l.minCur {
		l.minCur = rtt
	}
}

// MinRTT returns the measured minimum round-trip time (0 before the first
// measurement).
func (l *Limiter) MinRTT() time.Duration { return time.Duration(l.minRTT()) }

// RTT returns the typical round-trip time now: the last window's median,
// else the minimum (0 when nothing was measured).
func (l *Limiter) RTT() time.Duration {
	if l.lastRTT > 0 {
		return time.Duration(l.lastRTT)
	}
	return time.Duration(l.minRTT())
}

// TryAcquire takes a slot for a call starting at now, or reports false
// when the limit is reached.
func (l *Limiter) TryAcquire(now int64) bool {
	l.observe(now)
	if l.inflight >= l.Limit() {
		if l.cfg.Fixed == 0 && !l.probing {
			l.saturated = true
			if !l.probed && l.minRTT() > 0 {
				l.startProbe(now) // the first time the limit binds
			}
		}
		return false
	}
	l.inflight++
	if l.inflight > l.winMaxInUse {
		l.winMaxInUse = l.inflight
	}
	return true
}

// Release frees the slot of a call that started at start and ended at
// now, and learns from its round-trip time.
func (l *Limiter) Release(start, now int64) {
	l.inflight--
	rtt := max(now-start, 1)
	if l.probing {
		if l.probeClean != 0 && start >= l.probeClean {
			l.probe = append(l.probe, rtt)
		}
		l.observe(now)
		return
	}
	if l.winN < windowCap {
		l.win[l.winN] = rtt
	}
	l.winN++
	l.maybeUpdate(now)
}

// Drop frees a slot without learning from it (a call abandoned at its
// deadline: its latency says nothing about the others').
func (l *Limiter) Drop(now int64) {
	l.inflight--
	l.observe(now)
}

// observe starts or ends a probe as the clock says.
func (l *Limiter) observe(now int64) {
	if e := now / int64(l.cfg.ProbeInterval); e != l.epoch {
		l.epoch = e
		l.minPrev, l.minCur = l.minCur, 0
		if l.saturated && !l.probing && l.minRTT() > 0 && l.cfg.Fixed == 0 {
			l.startProbe(now)
		}
	}
	if !l.probing {
		return
	}
	if l.probeClean == 0 && l.inflight <= l.cfg.ProbeLimit {
		l.probeClean = now
	}
	maxTime := int64(probeMaxTime)
	if m := l.minRTT(); m > 0 {
		maxTime = max(4*m, int64(probeMinTime))
	}
	if len(l.probe) >= l.cfg.ProbeSamples || now-l.probeStart > maxTime {
		l.endProbe(now)
	}
}

func (l *Limiter) startProbe(now int64) {
	l.probing = true
	l.saturated = false
	l.probeStart = now
	l.probeClean = 0
	if l.inflight <= l.cfg.ProbeLimit {
		l.probeClean = now
	}
	l.probe = l.probe[:0]
	l.saved = l.limit
}

func (l *Limiter) endProbe(now int64) {
	l.probing = false
	l.probed = true
	if len(l.probe) > 0 {
		// The probe's median is the uncrowded latency now: it replaces
		// what crowded windows may have left in this interval's bucket.
		l.minCur = median(l.probe)
		if l.minPrev > l.minCur {
			l.minPrev = 0
		}
	}
	l.limit = l.saved
	l.resetWindow(now)
}

func (l *Limiter) resetWindow(now int64) {
	l.winStart = now
	l.winN = 0
	l.winMaxInUse = l.inflight
}

// maybeUpdate closes the window when it is full or old enough and moves
// the limit by its gradient.
func (l *Limiter) maybeUpdate(now int64) {
	age := now - l.winStart
	maxAge := max(int64(windowMax), 2*l.minRTT())
	if !(l.winN >= windowSamples && age >= int64(windowMin)) && age < maxAge {
		l.observe(now)
		return
	}
	sample := median(l.win[:min(l.winN, windowCap)])
	l.lastRTT = sample
	l.noteMin(sample)
	if l.cfg.Fixed > 0 {
		l.resetWindow(now)
		return
	}
	g := (1 + l.cfg.Buffer) * float64(l.minRTT()) / float64(sample)
	g = min(max(g, 0.5), 2)
	lim := l.limit
	if g >= 1 && float64(l.winMaxInUse) < lim/2 {
		// The limit was not what held calls back: leave it.
		g = 1
	} else {
		lim = lim*g + headroom(lim)
	}
	l.limit = min(max(lim, float64(l.cfg.Min)), float64(l.cfg.Max))
	l.resetWindow(now)
	l.observe(now)
}

// headroom is what the limit may grow by beyond the gradient: one call
// while the limit is small (a CPU-bound loop settles near its core count,
// where each extra call is felt), the square root of it when it is large
// (handlers that wait, where latency hardly moves with concurrency).
func headroom(limit float64) float64 {
	if limit < 16 {
		return 1
	}
	return math.Sqrt(limit)
}

// median sorts s in place and returns its middle element.
func median(s []int64) int64 {
	slices.Sort(s)
	return s[len(s)/2]
}
