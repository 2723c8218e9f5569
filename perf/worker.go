//go:build linux

package perf

import (
	"math"
	"math/bits"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// Worker timing knobs.
const (
	// maxConnecting bounds connects plus handshakes in progress per worker, so a big -c
	// does not overflow the server's accept backlog all at once.
	maxConnecting = 256
	// setupTimeout bounds connecting and initialising every connection.
	setupTimeout = 30 * time.Second
	// scanEvery is how often in-flight calls are checked against the timeout.
	scanEvery = 50 * time.Millisecond
	// maxWait caps one epoll wait so deadlines are noticed.
	maxWait = 50 * time.Millisecond
	// readBufferSize is the per-worker read buffer; answers are parsed in place from it.
	readBufferSize = 64 << 10
)

// worker runs its share of the connections on one epoll set in one goroutine: connects,
// handshakes, sends, parses and verifies without locks or per-call allocations.
type worker struct {
	cfg      *Config
	sa       unix.Sockaddr // this worker's copy: Connect writes into it
	nworkers int
	base     time.Time
	poll     *poller
	ring     *uring // the measured phase's transport when io is IOURing, else nil
	io       IOMode // IOEpoll or IOURing, as resolved for this run
	conns    []*conn
	events   []unix.EpollEvent
	rbuf     []byte
	dirty    []*conn
	held     []*conn // closed loop, HonorRetryAfter: connections waiting out a refusal
	head     httpHead
	plan     *plan
	windows  []window
	live     liveCounters

	setupFailed, lostConns int
	settingUp, nextDial    int
	rr                     int
	nextSend               int64
}

// idlePlan is in force during setup: nothing is measured.
var idlePlan = &plan{measureStart: math.MaxInt64, measureEnd: math.MaxInt64, stepLen: 1, rates: []int{0}}

func newWorker(cfg *Config, io IOMode, nworkers, nconns int, base time.Time) (*worker, error) {
	p, err := newPoller()
	if err != nil {
		return nil, err
	}
	w := &worker{cfg: cfg, io: io, nworkers: nworkers, base: base, poll: p, plan: idlePlan,
		events: make([]unix.EpollEvent, 512), rbuf: make([]byte, readBufferSize),
		head: httpHead{host: []byte(cfg.Addr), path: []byte(cfg.Path), extra: cfg.headerBlock}}
	switch a := cfg.sockaddr.(type) {
	case *unix.SockaddrInet4:
		w.sa = &unix.SockaddrInet4{Port: a.Port, Addr: a.Addr}
	case *unix.SockaddrInet6:
		w.sa = &unix.SockaddrInet6{Port: a.Port, Addr: a.Addr}
	default:
		panic("BUG: target sockaddr is neither IPv4 nor IPv6")
	}
	n := slotsPerConn(cfg)
	for i := range nconns {
		w.conns = append(w.conns, newConn(w, int32(i), n))
	}
	return w, nil
}

// slotsPerConn sizes the in-flight table: closed loop needs room for K (with slack for
// out-of-order answers); open loop for everything a connection may have in flight before
// the timeout frees it, within maxSlotMemory for all connections.
func slotsPerConn(cfg *Config) int {
	want := 4 * cfg.Depth
	if cfg.Shape.open() {
		want = int(float64(cfg.peakRate()) * cfg.Timeout.Seconds() / float64(cfg.Conns))
		want = min(want, maxSlotMemory/24/cfg.Conns)
	}
	if cfg.Shape == ShapeOverload {
		want = max(want, 2*cfg.Depth) // K in flight, and room for ids answered out of order
	}
	want = max(want, 16)
	return 1 << bits.Len(uint(want-1))
}

func (w *worker) now() int64 { return int64(time.Since(w.base)) }

// setup dials and initialises every connection of the worker.
func (w *worker) setup() {
	deadline := w.now() + int64(setupTimeout)
	for {
		for w.settingUp < maxConnecting && w.nextDial < len(w.conns) {
			c := w.conns[w.nextDial]
			w.nextDial++
			w.settingUp++
			c.dial()
		}
		w.flushDirty()
		if w.settingUp == 0 && w.nextDial == len(w.conns) {
			return
		}
		if w.now() > deadline {
			for _, c := range w.conns {
				if c.phase != phaseReady && c.phase != phaseHolding {
					c.fail()
				}
			}
			return
		}
		w.poll1(maxWait)
	}
}

// poll1 waits once, handles the events and returns how many there were.
func (w *worker) poll1(wait time.Duration) int {
	n, err := w.poll.wait(w.events, wait)
	if err != nil {
		panic("BUG: epoll wait: " + err.Error())
	}
	for i := range n {
		ev := &w.events[i]
		c := w.conns[ev.Pad]
		if c.phase == phaseClosed || c.fd != int(ev.Fd) {
			continue
		}
		if c.phase == phaseConnecting {
			c.connected()
			continue
		}
		if ev.Events&unix.EPOLLOUT != 0 {
			c.flush()
		}
		if ev.Events&(unix.EPOLLIN|unix.EPOLLERR|unix.EPOLLHUP|unix.EPOLLRDHUP) != 0 && c.phase != phaseClosed {
			c.read()
		}
	}
	w.flushDirty()
	return n
}

// pass waits up to wait for answers and handles them, on the measured phase's transport.
// Spinning, it does not wait, and the time of a pass that found nothing is counted as idle.
func (w *worker) pass(wait time.Duration) {
	var t0 int64
	if w.cfg.Spin {
		wait, t0 = 0, w.now()
	}
	var n int
	if w.ring == nil {
		n = w.poll1(wait)
	} else {
		n = w.ringPass(wait)
	}
	if w.cfg.Spin && n == 0 {
		w.live.idle.Add(w.now() - t0)
	}
}

// ringPass submits what is queued, waits up to wait for a completion (not at all when wait
// is 0), handles every completion and returns how many there were.
func (w *worker) ringPass(wait time.Duration) int {
	r := w.ring
	minComplete := uint32(1)
	if wait <= 0 {
		minComplete = 0
	}
	if err := r.enter(minComplete, wait); err != nil {
		panic("BUG: io_uring_enter: " + err.Error())
	}
	head, tail := r.completions()
	for i := head; i != tail; i++ {
		w.complete(r.cqe(i))
	}
	r.consumed(tail)
	w.flushDirty()
	return int(tail - head)
}

// startRing moves the ready connections from epoll to an io_uring for the measured phase.
// The ring is single-issuer, so the goroutine stays on this thread until it ends. When the
// kernel refuses a ring now (the run's probe got one), the run stays on epoll and says so.
func (w *worker) startRing() {
	runtime.LockOSThread()
	r, err := newURing()
	if err != nil {
		runtime.UnlockOSThread()
		w.io = IOEpoll
		return
	}
	w.ring = r
	for _, c := range w.conns {
		if c.phase == phaseClosed || c.fd < 0 {
			continue
		}
		w.poll.del(c.fd)
		c.armOut = false
		r.recv(c.fd, c.userData(uringUserDataKindRecv))
		if len(c.out) > 0 {
			c.markDirty()
		}
	}
}

// complete handles one io_uring completion: answers that arrived, or a send that finished.
func (w *worker) complete(e uringCQE) {
	c := w.conns[e.userData>>uringUserDataKindBits]
	if e.userData&uringUserDataKindMask == uringUserDataKindSend {
		c.sent(e.res)
		return
	}
	if e.flags&uringCQEFBuffer != 0 {
		bid := uint16(e.flags >> uringCQEBufferShift)
		if e.res > 0 && c.phase != phaseClosed {
			c.received(w.ring.buf(bid, int(e.res)))
		}
		w.ring.provide(bid)
	}
	switch {
	case c.phase == phaseClosed:
	case e.res == 0: // EOF
		c.fail()
	case e.res < 0 && e.res != -int32(unix.ENOBUFS): // ENOBUFS: every buffer was in use; re-arm
		c.fail()
	case e.flags&uringCQEFMore == 0:
		w.ring.recv(c.fd, c.userData(uringUserDataKindRecv))
	}
}

func (w *worker) flushDirty() {
	for i, c := range w.dirty {
		c.dirty = false
		if c.phase != phaseClosed {
			c.flush()
		}
		w.dirty[i] = nil
	}
	w.dirty = w.dirty[:0]
}

// measure runs the plan: warmup, measured windows, then a drain of the calls in flight.
func (w *worker) measure(p *plan, wid int) {
	w.plan = p
	w.windows = make([]window, len(p.rates))
	if w.io == IOURing {
		w.startRing()
	}
	now := w.now()
	open := w.cfg.Shape.open()
	if open {
		// Stagger the workers within one interval so their sends interleave.
		w.nextSend = now + int64(w.interval(now))*int64(wid)/int64(w.nworkers)
	}
	if w.cfg.Shape == ShapeClosed {
		for _, c := range w.conns {
			c.topUp(now)
		}
	}
	timeout := int64(w.cfg.Timeout)
	lastScan := now
	for {
		now = w.now()
		if now >= p.measureEnd && (w.live.inflight.Load() == 0 || now >= p.drainEnd) {
			break
		}
		wait := maxWait
		if open {
			w.pace(now)
			if w.nextSend < p.measureEnd {
				wait = min(wait, max(time.Duration(w.nextSend-now), w.cfg.Tick))
			}
		}
		if len(w.held) > 0 {
			wait = min(wait, w.release(now))
		}
		w.flushDirty()
		w.pass(wait)
		if now-lastScan >= int64(scanEvery) {
			for _, c := range w.conns {
				c.expire(now, timeout)
			}
			lastScan = now
		}
	}
	for _, c := range w.conns {
		c.expire(math.MaxInt64, 0) // still unanswered at the end of the drain
	}
}

// release tops up the held connections whose back-off has ended and returns the time
// until the next one's ends (maxWait when none is left).
func (w *worker) release(now int64) time.Duration {
	wait := maxWait
	kept := w.held[:0]
	for _, c := range w.held {
		if now >= c.holdUntil {
			c.held = false
			c.topUp(now)
			continue
		}
		wait = min(wait, time.Duration(c.holdUntil-now))
		kept = append(kept, c)
	}
	clear(w.held[len(kept):])
	w.held = kept
	return wait
}

// interval is the time between this worker's sends at the rate in force at t.
func (w *worker) interval(t int64) float64 {
	return 1e9 * float64(w.nworkers) / float64(w.plan.rateAt(t))
}

// pace sends every call whose intended time has come. Each keeps its intended time, so a
// generator or server stall shows up as latency instead of being hidden.
//
// Once no connection has room, the rest of the calls due in this pass are shed without
// looking again: nothing frees a slot until answers are read, and scanning every
// connection for each call due (1,024 connections × tens of thousands of calls a second
// past a server's capacity) would spend the generator's core on the scan instead.
func (w *worker) pace(now int64) {
	full := false
	for w.nextSend <= now && w.nextSend < w.plan.measureEnd {
		at := w.nextSend
		var c *conn
		if !full {
			c = w.pick()
			full = c == nil
		}
		if c != nil {
			c.send(at, now)
		} else {
			w.countShed(at)
		}
		w.nextSend += int64(w.interval(at))
	}
}

// pick returns the next ready connection with a free slot, round robin; in the overload
// shape also with fewer than K calls in flight.
func (w *worker) pick() *conn {
	limit := len(w.conns[0].slots)
	if w.cfg.Shape == ShapeOverload {
		limit = w.cfg.Depth
	}
	for range w.conns {
		c := w.conns[w.rr]
		if w.rr++; w.rr == len(w.conns) {
			w.rr = 0
		}
		if c.phase == phaseReady && !c.full() && c.pending < limit {
			return c
		}
	}
	return nil
}

// hold keeps the connections open until the plan ends, discarding what servers send.
func (w *worker) hold(p *plan) {
	w.plan = p
	w.windows = make([]window, len(p.rates))
	for w.now() < p.measureEnd {
		w.poll1(maxWait)
	}
}

func (w *worker) countCall(at, latency int64) {
	w.live.calls.Add(1)
	if i := w.plan.windowAt(at); i >= 0 {
		w.windows[i].calls++
		w.windows[i].hist.Record(latency)
	}
}

func (w *worker) countSent(at, now int64) {
	if i := w.plan.windowAt(at); i >= 0 {
		w.windows[i].sent++
		w.windows[i].lagHist.Record(max(now-at, 0))
	}
}

// countRefused counts a call the server refused after latency, saying retry after retryMs.
func (w *worker) countRefused(at, latency, retryMs int64, tooMany bool) {
	w.live.refused.Add(1)
	if i := w.plan.windowAt(at); i >= 0 {
		win := &w.windows[i]
		win.refused++
		if tooMany {
			win.refused429++
		}
		win.refHist.Record(latency)
		win.retryMsMax = max(win.retryMsMax, retryMs)
	}
}

func (w *worker) countErr(at int64, k errKind) {
	w.live.errors.Add(1)
	if i := w.plan.windowAt(at); i >= 0 {
		w.windows[i].errs[k]++
	}
}

func (w *worker) countTimeout(at int64) {
	w.live.timeouts.Add(1)
	if i := w.plan.windowAt(at); i >= 0 {
		w.windows[i].timeouts++
	}
}

// countLate counts an answer that came after its call had timed out (already counted).
func (w *worker) countLate(now int64) {
	if i := w.plan.windowAt(now); i >= 0 {
		w.windows[i].late++
	}
}

func (w *worker) countShed(at int64) {
	if i := w.plan.windowAt(at); i >= 0 {
		w.windows[i].shed++
	}
}

// close ends every connection with a reset (SO_LINGER 0) rather than a FIN: a run of 15K
// connections otherwise leaves 15K sockets in TIME_WAIT for a minute, holding half of the
// ~28K ephemeral ports the next run's connections to the same address need.
func (w *worker) close() {
	for _, c := range w.conns {
		if c.fd >= 0 {
			_ = unix.SetsockoptLinger(c.fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
			_ = unix.Close(c.fd)
			c.fd = -1
		}
	}
	w.poll.close()
	if w.ring != nil {
		w.ring.close() // releases the sockets its requests still hold
		w.ring = nil
	}
}
