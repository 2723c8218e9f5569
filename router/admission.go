package router

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/pool"
	"github.com/densemcp/densemcp/shards"
	"github.com/valyala/bytebufferpool"
)

// Admission defaults (Options).
const (
	// DefaultMaxInFlightPerSession bounds the blocking calls one client (a
	// TCP or stdio connection, a legacy HTTP session) has running or
	// queued; past it a request is refused as over its share (HTTP 429).
	DefaultMaxInFlightPerSession = 256
	// DefaultMaxInFlightPerLoop bounds the blocking calls running or
	// queued on one event loop; past it requests are refused (HTTP 503)
	// before they are decoded.
	DefaultMaxInFlightPerLoop = 4096
	// minQueueWait and maxQueueWait clamp the automatic bound on queueing
	// time (twice the measured minimum handler latency): a call that
	// cannot start within it is refused rather than left to wait.
	minQueueWait = time.Millisecond
	maxQueueWait = time.Second
	// unknownQueueWait is the bound before any latency was measured (the
	// first window of calls closes within a quarter second).
	unknownQueueWait = 100 * time.Millisecond
)

// Refusal says why a request was refused before its handler ran. Every
// refusal is a JSON-RPC error -32000 whose data carries retryAfterMs and
// the reason's name; over HTTP it is a 503 (server-wide pressure) or a
// 429 (one client over its share), with Retry-After.
type Refusal uint8

const (
	// RefusedConcurrency: the loop's blocking handlers are at their
	// adaptive concurrency limit and the call could not start within the
	// queueing bound.
	RefusedConcurrency Refusal = iota
	// RefusedQueueTimeout: the call waited in the loop's queue past the
	// queueing bound.
	RefusedQueueTimeout
	// RefusedLoopLimit: the loop already has MaxInFlightPerLoop calls.
	RefusedLoopLimit
	// RefusedClientLimit: the client already has MaxInFlightPerSession
	// calls (429).
	RefusedClientLimit
	// RefusedClientShare: the queue was full and the call made room for a
	// client that had nothing queued (429).
	RefusedClientShare
	// RefusedWorkers: the worker pool has no free goroutine.
	RefusedWorkers
	// RefusedMemory: the overload manager refuses new requests (heap
	// past its stage threshold).
	RefusedMemory
	// RefusedShutdown: the server is draining; or, at the end of the
	// drain budget, a call still running was cut off.
	RefusedShutdown
	// NumRefusals is the number of reasons.
	NumRefusals
)

var refusalNames = [NumRefusals]string{"concurrency", "queue_timeout", "loop_limit", "client_limit", "client_share", "workers", "memory", "shutdown"}

var refusalMessages = [NumRefusals]string{
	"server busy: blocking handlers are at their concurrency limit, retry later",
	"server busy: the request waited too long for a handler, retry later",
	"server busy: too many requests in flight, retry later",
	"too many requests in flight on this connection, retry later",
	"too many requests queued by this client, retry later",
	"server busy: no worker free, retry later",
	"server overloaded: memory pressure, retry later",
	"server shutting down, retry on another instance",
}

// String returns the reason's name, as in the refusal's data.reason.
func (w Refusal) String() string {
	if w < NumRefusals {
		return refusalNames[w]
	}
	return "unknown"
}

// ClientFault reports whether the client, not the server, is over its
// share (HTTP 429 rather than 503).
func (w Refusal) ClientFault() bool { return w == RefusedClientLimit || w == RefusedClientShare }

// RetryAfter is the retry hint of refusal w: a second for memory pressure
// and shutdown, else the worker pool's hint (Options.RetryAfter, 100 ms by
// default) for passing pressure.
func (r *Router) RetryAfter(w Refusal) time.Duration {
	switch w {
	case RefusedMemory, RefusedShutdown:
		return time.Second
	}
	return r.pool.RetryAfter
}

// AppendRefusal appends the JSON-RPC error that refuses request id.
func (r *Router) AppendRefusal(dst, id []byte, w Refusal) []byte {
	var data [64]byte
	d := append(data[:0], `{"retryAfterMs":`...)
	d = strconv.AppendInt(d, r.RetryAfter(w).Milliseconds(), 10)
	d = append(d, `,"reason":"`...)
	d = append(d, w.String()...)
	d = append(d, `"}`...)
	return codec.AppendError(dst, id, codec.CodeServerBusy, refusalMessages[w], d)
}

// Counter is a count written by one shard's goroutine alone and read by
// anyone (a metrics scrape): a plain store of the loaded value plus one,
// with no locked instruction, since there is only one writer.
type Counter struct{ v atomic.Uint64 }

// Inc adds one. Owner goroutine only.
func (c *Counter) Inc() { c.v.Store(c.v.Load() + 1) }

// Load returns the count.
func (c *Counter) Load() uint64 { return c.v.Load() }

// Gauge is a level written by one shard's goroutine alone.
type Gauge struct{ v atomic.Int64 }

// Set sets the level. Owner goroutine only.
func (g *Gauge) Set(n int64) { g.v.Store(n) }

// Add moves the level by n. Owner goroutine only.
func (g *Gauge) Add(n int64) { g.v.Store(g.v.Load() + n) }

// Load returns the level.
func (g *Gauge) Load() int64 { return g.v.Load() }

// LoopStats are one loop's (shard's) admission and overload counters,
// written by that loop alone; a scrape sums them over loops (Stats).
type LoopStats struct {
	// Admitted counts blocking calls started on the worker pool.
	Admitted Counter
	// Queued counts blocking calls that waited in the loop's queue first.
	Queued Counter
	// Completed counts blocking calls whose handler's answer was sent
	// (or dropped because the client had cancelled or gone).
	Completed Counter
	// Refused counts refusals by reason (both those decided before
	// decoding, in the transport, and those at the concurrency limit).
	Refused [NumRefusals]Counter
	// HandlerTimeouts counts blocking calls answered with a timeout error
	// at their deadline while the handler still ran.
	HandlerTimeouts Counter
	// CutOff counts calls still running or queued when a drain's budget
	// ended; each was answered with a shutdown error.
	CutOff Counter
	// Deferred counts loop passes that stopped at a connection's message
	// budget and left the rest for the loop's next pass (fair share).
	Deferred Counter
	// ShedConnections counts connections the overload manager closed for
	// the size of their outbound queue.
	ShedConnections Counter

	// InFlight is the blocking calls running now; Queue those waiting;
	// Limit the adaptive limit; MinRTTMicros its measured minimum
	// latency; Stuck the handlers past their deadline that have not
	// returned (their goroutines still run; the client has its answer).
	InFlight, Queue, Limit, MinRTTMicros, Stuck Gauge
}

// Stats is the sum of every loop's LoopStats at one moment.
type Stats struct {
	Admitted, Queued, Completed   uint64
	Refused                       [NumRefusals]uint64
	HandlerTimeouts, CutOff       uint64
	Deferred, ShedConnections     uint64
	InFlight, Queue, Limit, Stuck int64
	RefusedTotal                  uint64
	MinRTTMicros                  int64 // the largest over loops
}

// Add sums one loop's counters into st.
func (st *Stats) Add(l *LoopStats) {
	st.Admitted += l.Admitted.Load()
	st.Queued += l.Queued.Load()
	st.Completed += l.Completed.Load()
	for i := range l.Refused {
		n := l.Refused[i].Load()
		st.Refused[i] += n
		st.RefusedTotal += n
	}
	st.HandlerTimeouts += l.HandlerTimeouts.Load()
	st.CutOff += l.CutOff.Load()
	st.Deferred += l.Deferred.Load()
	st.ShedConnections += l.ShedConnections.Load()
	st.InFlight += l.InFlight.Load()
	st.Queue += l.Queue.Load()
	st.Limit += l.Limit.Load()
	st.Stuck += l.Stuck.Load()
	st.MinRTTMicros = max(st.MinRTTMicros, l.MinRTTMicros.Load())
}

// Merge adds another sum into st.
func (st *Stats) Merge(o *Stats) {
	st.Admitted += o.Admitted
	st.Queued += o.Queued
	st.Completed += o.Completed
	for i := range o.Refused {
		st.Refused[i] += o.Refused[i]
	}
	st.RefusedTotal += o.RefusedTotal
	st.HandlerTimeouts += o.HandlerTimeouts
	st.CutOff += o.CutOff
	st.Deferred += o.Deferred
	st.ShedConnections += o.ShedConnections
	st.InFlight += o.InFlight
	st.Queue += o.Queue
	st.Limit += o.Limit
	st.Stuck += o.Stuck
	st.MinRTTMicros = max(st.MinRTTMicros, o.MinRTTMicros)
}

// Stats sums the loops' counters (safe from any goroutine).
func (r *Router) Stats() Stats {
	var st Stats
	for _, p := range *r.local.Load() {
		st.Add(&p.adm.stats)
	}
	return st
}

// LoopStats returns the counters of shard sh, for its loop to write (the
// transport's own refusals and passes) and anyone to read.
func (r *Router) LoopStats(sh *shards.Shard) *LoopStats { return &r.admissionOf(sh).stats }

// admissionOf returns shard sh's admission state.
func (r *Router) admissionOf(sh *shards.Shard) *admission { return &(*r.local.Load())[sh.ID].adm }

// SetDraining makes the router refuse every blocking call from now on
// (RefusedShutdown); calls already admitted run on.
func (r *Router) SetDraining(on bool) { r.draining.Store(on) }

// Pending returns the blocking calls running or queued on shard sh. Shard
// goroutine only.
func (r *Router) Pending(sh *shards.Shard) int { return r.admissionOf(sh).pending }

// Refuse answers request id of session s with a refusal, counted on the
// session's shard. For transports that refuse before decoding. Shard
// goroutine only.
func (r *Router) Refuse(s *Session, id []byte, w Refusal) { r.refuse(s, id, w) }

func (r *Router) refuse(s *Session, id []byte, w Refusal) {
	r.admissionOf(s.shard).stats.Refused[w].Inc()
	switch w {
	case RefusedConcurrency, RefusedQueueTimeout, RefusedWorkers:
		// The request meter's count of calls refused for want of a
		// worker (its worker_pool_full metric).
		r.stateOf(s.shard.ID).meter.busy++
	}
	s.sendRefusal(id, w)
}

// sendRefusal sends the refusal of request id (uncounted). Shard
// goroutine only.
func (s *Session) sendRefusal(id []byte, w Refusal) {
	if s.closed {
		return
	}
	if c := s.capture; c != nil {
		// A receiving hook is looking the request up: the refusal is its
		// answer (an ordinary error to it).
		e := s.r.AppendRefusal(s.shard.Scratch[:0], nil, w)
		errObj, _ := codec.ObjectField(e, "error")
		data, _ := codec.ObjectField(errObj, "data")
		c.captureError(codec.CodeServerBusy, refusalMessages[w], append([]byte(nil), data...))
		return
	}
	buf := s.r.AppendRefusal(s.shard.Scratch[:0], id, w)
	kind := MsgBusy
	if w.ClientFault() {
		kind = MsgOverShare
	}
	s.out.Send(kind, id, buf)
	s.shard.Scratch = buf[:0]
	if s.r.observing() {
		s.answered(codec.CodeServerBusy) // the request routed now, if any
	}
}

// Tick expires queued calls that waited too long even when no call ends
// to make room. The transport calls it periodically on shard sh's
// goroutine.
func (r *Router) Tick(sh *shards.Shard) {
	a := r.admissionOf(sh)
	if a.q.len() > 0 {
		r.dispatchQueue(a, pool.Now())
	}
}

// CutOff ends every call running or queued on shard sh with a shutdown
// error (the drain's budget is spent) and returns how many there were.
// Their handlers' goroutines run on; their answers are dropped. Shard
// goroutine only.
func (r *Router) CutOff(sh *shards.Shard) int {
	a := r.admissionOf(sh)
	now := pool.Now()
	n := 0
	for c := a.head; c != nil; {
		next := c.next
		n++
		a.stats.CutOff.Inc()
		switch c.state {
		case callQueued:
			r.unqueue(a, c)
			if !c.cancelled {
				c.s.sendRefusal(c.id, RefusedShutdown)
			}
			r.endObservation(c, errTypeOf(codec.CodeServerBusy))
			c.free()
		case callRunning:
			r.abandon(a, c, now, func(s *Session) { s.sendRefusal(c.id, RefusedShutdown) })
			r.endObservation(c, errTypeOf(codec.CodeServerBusy))
		}
		c = next
	}
	a.publish()
	return n
}

// admission is one shard's admission state for blocking calls: the
// adaptive limit, the queue of calls waiting for a slot, and the list of
// every call running or queued (for drains and deadlines). Shard
// goroutine only; no locks.
type admission struct {
	lim        *pool.Limiter
	q          callQueue
	head, tail *call // running and queued calls
	pending    int   // len of that list
	stats      LoopStats
	// timer wakes the shard when the queue's front has waited too long.
	timer      *time.Timer
	timerArmed bool
	shard      *shards.Shard
}

func (a *admission) init(sh *shards.Shard, cfg pool.LimitConfig) {
	a.shard = sh
	a.lim = pool.NewLimiter(cfg)
	a.publish()
}

// publish updates the gauges after a change. Shard goroutine only.
func (a *admission) publish() {
	a.stats.InFlight.Set(int64(a.lim.InFlight()))
	a.stats.Queue.Set(int64(a.q.len()))
	a.stats.Limit.Set(int64(a.lim.Limit()))
	a.stats.MinRTTMicros.Set(a.lim.MinRTT().Microseconds())
}

func (a *admission) track(c *call) {
	c.prev, c.next = a.tail, nil
	if a.tail != nil {
		a.tail.next = c
	} else {
		a.head = c
	}
	a.tail = c
	a.pending++
}

func (a *admission) untrack(c *call) {
	if c.prev != nil {
		c.prev.next = c.next
	} else {
		a.head = c.next
	}
	if c.next != nil {
		c.next.prev = c.prev
	} else {
		a.tail = c.prev
	}
	c.prev, c.next = nil, nil
	a.pending--
}

// queueWait is the bound on a call's time in the queue: the configured
// one, else twice the minimum handler latency, clamped.
func (r *Router) queueWait(a *admission) int64 {
	if r.opts.MaxQueueWait > 0 {
		return int64(r.opts.MaxQueueWait)
	}
	m := a.lim.MinRTT()
	if m == 0 {
		return int64(unknownQueueWait)
	}
	return int64(min(max(2*m, minQueueWait), maxQueueWait))
}

// expectedWait is how long a call joining the queue behind n others
// should wait: calls leave at about limit per round-trip time.
func (a *admission) expectedWait(n int) int64 {
	lim := max(a.lim.Limit(), 1)
	return int64(n+1) * int64(a.lim.RTT()) / int64(lim)
}

// admit decides a blocking call of session s arriving at now: run it at
// once, queue it, or refuse it (ok false, and why).
func (r *Router) admit(a *admission, s *Session, now int64) (run bool, why Refusal, ok bool) {
	if r.draining.Load() {
		return false, RefusedShutdown, false
	}
	if len(s.inflight) >= r.opts.MaxInFlightPerSession {
		return false, RefusedClientLimit, false
	}
	if a.pending >= r.opts.MaxInFlightPerLoop {
		return false, RefusedLoopLimit, false
	}
	if a.q.len() == 0 && a.lim.TryAcquire(now) {
		return true, 0, true
	}
	if a.expectedWait(a.q.len()) <= r.queueWait(a) {
		return false, 0, true
	}
	// The queue is full. A client with nothing queued may take the place
	// of the newest call of a client with more than one queued, so one
	// client pipelining many calls cannot fill the queue against the rest.
	if s.queued == 0 {
		if victim := a.q.newestOfCrowded(); victim != nil {
			r.refuseQueued(a, victim, RefusedClientShare)
			return false, 0, true
		}
	}
	return false, RefusedConcurrency, false
}

// start submits a call that holds a slot of the limit.
func (r *Router) start(a *admission, c *call, now int64) {
	c.state = callRunning
	c.start = now
	if !c.cancelled {
		parent := c.parent
		if parent == nil {
			parent = context.Background()
		}
		ctx, cancel := context.WithTimeout(parent, r.opts.HandlerTimeout)
		c.req.ctx, c.cancel = ctx, cancel
	}
	r.armDeadline(a, c)
	a.stats.Admitted.Inc()
	if err := r.pool.Submit(c.task); err != nil {
		a.lim.Drop(now)
		r.drop(a, c)
		r.refuse(c.s, c.id, RefusedWorkers)
		r.endObservation(c, errTypeOf(codec.CodeServerBusy))
		c.free()
	}
}

// dispatchQueue starts queued calls while the limit has room, refusing
// those that waited past the bound. Shard goroutine only.
func (r *Router) dispatchQueue(a *admission, now int64) {
	wait := r.queueWait(a)
	for a.q.len() > 0 {
		c := a.q.front()
		if c.state != callQueued {
			a.q.pop() // dropped while queued
			continue
		}
		if now-c.enq > wait {
			r.refuseQueued(a, c, RefusedQueueTimeout)
			continue
		}
		if !a.lim.TryAcquire(now) {
			break
		}
		a.q.pop()
		c.s.queued--
		a.publish() // before the handler can be seen running
		r.start(a, c, now)
	}
	r.armQueueTimer(a, a.shard, now)
	a.publish()
}

// refuseQueued takes a queued call out and refuses it with w.
func (r *Router) refuseQueued(a *admission, c *call, w Refusal) {
	r.unqueue(a, c)
	if !c.cancelled {
		r.refuse(c.s, c.id, w)
	}
	r.endObservation(c, errTypeOf(codec.CodeServerBusy))
	c.free()
}

// unqueue takes a queued call out, whether it is at the front of the
// queue or not (one deeper in is skipped when the queue reaches it); the
// caller answers it, if at all, and frees it.
func (r *Router) unqueue(a *admission, c *call) {
	if a.q.size > 0 && a.q.front() == c {
		a.q.pop()
	} else {
		a.q.dead++ // left in the ring until it reaches the front
	}
	c.state = callDropped
	c.s.queued--
	r.drop(a, c)
}

// drop forgets a call that will not run: out of the list and the
// session's in-flight set, its context cancelled.
func (r *Router) drop(a *admission, c *call) {
	a.untrack(c)
	if c.s.inflight[c.key] == c {
		delete(c.s.inflight, c.key)
	}
	c.stopTimer()
	c.cancel()
}

// callDone runs on the shard when a call's handler has returned, with its
// rendered answer and that answer's error type. Shard goroutine only.
//
// The limit learns from the call's round trip up to its handler's end
// on the worker (ended): the wait for a goroutine and a CPU, then the
// handler's run. Not up to now: the wait for this shard to take the answer
// back grows with the loop's other work (refusing an overload among it),
// so handlers that wait (a backend, a timer) looked slower whenever the
// loop was busy refusing, the limit halved, more was refused, and goodput
// collapsed past capacity. Not the handler's run alone either: Go does not
// time-slice a short CPU-bound handler, so its run time stays flat however
// many wait for the CPU, and the limit would grow without bound.
func (r *Router) callDone(a *admission, c *call, out *bytebufferpool.ByteBuffer, errT uint8, ended int64) {
	defer bytebufferpool.Put(out)
	if c.state == callAbandoned {
		// Answered at its deadline (or cut off); the goroutine is back.
		a.stats.Stuck.Add(-1)
		c.free()
		return
	}
	now := pool.Now()
	c.state = callDone
	a.lim.Release(c.start, max(ended, c.start+1))
	a.untrack(c)
	a.stats.Completed.Inc()
	s := c.s
	if !c.cancelled && !s.closed {
		s.out.Send(MsgResponse, c.id, out.B)
	}
	if s.inflight[c.key] == c {
		delete(s.inflight, c.key)
	}
	c.stopTimer()
	c.cancel()
	c.free()
	r.endObservation(c, errT)
	r.dispatchQueue(a, now)
}

// endObservation ends the metrics and trace observation a call carries,
// with the error type of how it was answered. Shard goroutine.
func (r *Router) endObservation(c *call, errT uint8) {
	if c.obs.active {
		c.obs.errT = errT
		r.finish(c.s, &r.stateOf(c.s.shard.ID).meter, &c.obs)
	}
}

// expire runs on the shard at a call's deadline. A handler still running
// is abandoned: the client gets a timeout error now and the slot is free;
// the goroutine is counted as stuck until it returns. Shard goroutine only.
func (r *Router) expire(a *admission, c *call) {
	now := pool.Now()
	switch c.state {
	case callQueued:
		r.refuseQueued(a, c, RefusedQueueTimeout)
	case callRunning:
		a.stats.HandlerTimeouts.Inc()
		r.abandon(a, c, now, func(s *Session) {
			buf := codec.AppendError(s.shard.Scratch[:0], c.id, codec.CodeRequestTimeout,
				"request timed out: the handler did not finish within "+r.opts.HandlerTimeout.String(), nil)
			s.out.Send(MsgResponse, c.id, buf)
			s.shard.Scratch = buf[:0]
		})
		r.endObservation(c, errTypeOf(codec.CodeRequestTimeout))
	default:
		return
	}
	r.dispatchQueue(a, now)
}

// abandon answers a running call with answer and frees its slot while its
// handler goes on; finish frees its buffers when the handler returns.
func (r *Router) abandon(a *admission, c *call, now int64, answer func(s *Session)) {
	c.state = callAbandoned
	a.stats.Stuck.Add(1)
	a.lim.Drop(now)
	a.untrack(c)
	s := c.s
	if s.inflight[c.key] == c {
		delete(s.inflight, c.key)
	}
	c.stopTimer()
	if !c.cancelled && !s.closed {
		answer(s)
	}
	c.cancel()
}

// forget is Session.Close's and cancellation's part: a queued call is
// dropped silently, a running one keeps its slot until its handler
// returns (its context is cancelled, so a well-behaved one returns soon).
func (r *Router) forget(c *call) {
	if c.state == callQueued {
		r.unqueue(r.admissionOf(c.s.shard), c)
		r.endObservation(c, ErrTypeOther)
		c.free()
		return
	}
	c.cancel()
}

// Call states.
const (
	callQueued uint8 = iota + 1
	callRunning
	callDone
	callDropped   // taken out of the queue without running
	callAbandoned // answered at its deadline or cut off; handler still running
)

// armDeadline answers the call at its deadline if its handler has not
// returned by then. The handler's context ends at the deadline; a
// handler that heeds it and returns within the grace that follows answers
// for itself (its error becomes its result), one that does not is
// abandoned. A timer of its own rather than the context's: a call the
// client cancelled still holds its slot until its handler returns, and
// must lose it at the deadline all the same.
func (r *Router) armDeadline(a *admission, c *call) {
	sh := c.s.shard
	c.deadline = time.AfterFunc(r.opts.HandlerTimeout+deadlineGrace(r.opts.HandlerTimeout), func() {
		_ = postSure(sh, func() { r.expire(a, c) })
	})
}

// deadlineGrace is how long past its deadline a handler may take to
// return before it is abandoned: a quarter of the timeout, between 50 ms
// and a second.
func deadlineGrace(timeout time.Duration) time.Duration {
	return min(max(timeout/4, 50*time.Millisecond), time.Second)
}

// armQueueTimer makes sure the queue's front is looked at when its wait
// runs out, even if no call ends to make room before then.
func (r *Router) armQueueTimer(a *admission, sh *shards.Shard, now int64) {
	if a.q.len() == 0 || a.timerArmed {
		return
	}
	a.timerArmed = true
	d := time.Duration(a.q.front().enq + r.queueWait(a) - now + int64(time.Millisecond))
	d = max(d, time.Millisecond)
	if a.timer == nil {
		a.timer = time.AfterFunc(d, func() {
			_ = postSure(sh, func() {
				a.timerArmed = false
				r.dispatchQueue(a, pool.Now())
			})
		})
		return
	}
	a.timer.Reset(d)
}

// callQueue is a FIFO ring of calls waiting for a slot. Shard goroutine
// only.
//
// A call taken out from deeper in (cancelled, its session closed, its
// place given to another client) stays in the ring, marked dropped, until
// it reaches the front; dead counts those, so len is the calls that still
// wait: the expected wait and the published queue length count no ghosts.
type callQueue struct {
	buf        []*call
	head, size int
	dead       int
}

func (q *callQueue) len() int { return q.size - q.dead }

func (q *callQueue) front() *call { return q.buf[q.head] }

func (q *callQueue) push(c *call) {
	if q.size == len(q.buf) {
		n := max(2*len(q.buf), 16)
		nb := make([]*call, n)
		for i := 0; i < q.size; i++ {
			nb[i] = q.buf[(q.head+i)%len(q.buf)]
		}
		q.buf, q.head = nb, 0
	}
	q.buf[(q.head+q.size)%len(q.buf)] = c
	q.size++
}

// pop removes the front slot, which holds a waiting call or a dead one.
func (q *callQueue) pop() {
	if q.buf[q.head].state != callQueued {
		q.dead--
	}
	q.buf[q.head] = nil
	q.head = (q.head + 1) % len(q.buf)
	q.size--
}

// newestOfCrowded returns the newest queued call of a session that has
// more than one queued, or nil.
func (q *callQueue) newestOfCrowded() *call {
	for i := q.size - 1; i >= 0; i-- {
		c := q.buf[(q.head+i)%len(q.buf)]
		if c.state == callQueued && c.s.queued > 1 {
			return c
		}
	}
	return nil
}

// Admissible reports whether a request of session s (nil when the
// transport does not know it yet) read on shard sh may go on to be
// decoded, or why not: the cheap checks a transport makes before any
// decode work (drain, the client's and the loop's in-flight bounds).
// Shard goroutine only.
func (r *Router) Admissible(sh *shards.Shard, s *Session) (Refusal, bool) {
	if r.draining.Load() {
		return RefusedShutdown, false
	}
	if s != nil && len(s.inflight) >= r.opts.MaxInFlightPerSession {
		return RefusedClientLimit, false
	}
	if r.admissionOf(sh).pending >= r.opts.MaxInFlightPerLoop {
		return RefusedLoopLimit, false
	}
	return 0, true
}

// noCancel is the cancel of a call that has not started (its handler's
// context is made when it starts).
func noCancel() {}
