package perf

import "sync/atomic"

// errKind classifies an error the generator counted.
type errKind uint8

const (
	errNoID errKind = iota
	errWrongID
	errRPC
	errNoText
	errHTTPStatus
	errFraming
	errConnLost
	errToolError
	errBadRefusal
	numErrKinds
)

var errKindNames = [numErrKinds]string{"no_id", "wrong_id", "rpc_error", "no_echo_text", "http_status", "framing", "conn_lost",
	"tool_error", "refusal_without_retry_after"}

// errKindOf maps a failed verdict to its error kind.
func errKindOf(v verdict) errKind {
	switch v {
	case verdictNoID:
		return errNoID
	case verdictWrongID:
		return errWrongID
	case verdictRPCError:
		return errRPC
	case verdictNoText:
		return errNoText
	case verdictToolError:
		return errToolError
	case verdictBadRefusal:
		return errBadRefusal
	}
	panic("BUG: errKindOf(verdictOK)")
}

// window holds what one measured window (the whole run, or one ramp step) saw. Every call
// is attributed to the window of its intended send time, so a slow answer is charged to
// the load that caused it.
type window struct {
	hist     Histogram
	calls    uint64
	sent     uint64
	timeouts uint64
	late     uint64
	shed     uint64
	errs     [numErrKinds]uint64
	// Refusals (HTTP 503 or 429 with Retry-After, or a JSON-RPC error in the server range
	// with data.retryAfterMs): how many, how many were 429, and the time to each refusal
	// from the call's intended send time.
	refused    uint64
	refused429 uint64
	refHist    Histogram
	retryMsMax int64
	// lagHist: how late each call left against its intended send time (open loop; the
	// closed loop sends when a slot frees, so its lag is 0). A generator that cannot keep
	// the schedule charges its own delay to the server's latencies.
	lagHist Histogram
}

func (w *window) errors() uint64 {
	var n uint64
	for _, e := range w.errs {
		n += e
	}
	return n
}

func (w *window) merge(o *window) {
	w.hist.Merge(&o.hist)
	w.calls += o.calls
	w.timeouts += o.timeouts
	w.late += o.late
	w.shed += o.shed
	w.sent += o.sent
	w.refused += o.refused
	w.refused429 += o.refused429
	w.refHist.Merge(&o.refHist)
	w.lagHist.Merge(&o.lagHist)
	w.retryMsMax = max(w.retryMsMax, o.retryMsMax)
	for i, e := range o.errs {
		w.errs[i] += e
	}
}

// liveCounters are read once a second by the progress line; each worker owns one set, so
// the atomic adds are uncontended.
type liveCounters struct {
	calls    atomic.Uint64
	refused  atomic.Uint64
	errors   atomic.Uint64
	timeouts atomic.Uint64
	inflight atomic.Int64
	conns    atomic.Int64
	idle     atomic.Int64 // ns spent in polls that found nothing (spinning)
	_        [8]byte      // one 64-byte line per worker
}

// plan is the timeline all workers follow, in nanoseconds since the run's base time.
type plan struct {
	warmStart    int64 // when warmup began
	measureStart int64
	stepLen      int64
	rates        []int // per window; closed loop and hold have one window with rate 0
	measureEnd   int64
	drainEnd     int64
}

// windowAt returns the window of time t, or -1 outside the measured span.
func (p *plan) windowAt(t int64) int {
	if t < p.measureStart || t >= p.measureEnd {
		return -1
	}
	return min(int((t-p.measureStart)/p.stepLen), len(p.rates)-1)
}

// rateAt returns the offered total rate at time t. Warmup ramps linearly from a tenth of
// the first step's rate up to it: 15K connections hit at full rate from the first
// millisecond start a server cold (first touch of every connection's buffers), and a
// backlog formed then can persist through the measured window, which is then measuring
// the cold start rather than the rate.
func (p *plan) rateAt(t int64) int {
	i := p.windowAt(t)
	if i >= 0 {
		return p.rates[i]
	}
	r := p.rates[0]
	if t >= p.warmStart && t < p.measureStart {
		f := 0.1 + 0.9*float64(t-p.warmStart)/float64(p.measureStart-p.warmStart)
		r = int(float64(r) * f)
	}
	return max(r, 1)
}
