package engine

import (
	"sync/atomic"
	"time"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/router"
)

// Timeouts a client cannot hold the server past (nginx's
// client_header_timeout, client_body_timeout and keepalive_timeout,
// HAProxy's timeout http-request and timeout client). They are enforced by
// each loop's sweep on the existing tick: no timer per connection, and the
// per-message path only sets a flag that bytes arrived. A timeout fires at
// most one tick late, never early.
const (
	// DefaultHeadTimeout: an HTTP request head must arrive in full within
	// this from its first byte (a connection's first request: from the
	// accept); else 408 and a polite close.
	DefaultHeadTimeout = 10 * time.Second
	// DefaultBodyTimeout: an HTTP body or an NDJSON message that has begun
	// arriving must not stall this long; else 408 (HTTP) or a -32001 error
	// (NDJSON) and a polite close.
	DefaultBodyTimeout = 30 * time.Second
	// DefaultMinBodyRate (bytes/s): once a body or message has been arriving
	// for BodyTimeout, its average rate must be at least this, so a client
	// cannot hold its buffer by trickling a byte just often enough.
	// 1 KiB/s passes any real link; a 4 MiB body may take over an hour.
	DefaultMinBodyRate = 1 << 10
	// DefaultIdleTimeout: an HTTP keep-alive connection with no request
	// in progress is closed after this. SSE streams are exempt (their
	// heartbeats keep them busy).
	DefaultIdleTimeout = 2 * time.Minute
	// DefaultTCPIdleTimeout: a TCP NDJSON connection that receives no
	// message and has nothing running (no request in flight, no server
	// request awaiting an answer, no open listen) for this long is closed.
	// It is the connection-is-the-session transport, so this matches a
	// legacy HTTP session's idle TTL. A client that only listens for
	// notifications keeps its connection with a ping now and then.
	DefaultTCPIdleTimeout = 10 * time.Minute
	// DefaultInitTimeout: a legacy session (HTTP or TCP) whose initialize
	// handshake has not completed (notifications/initialized) this long
	// after it began is ended, so half-open sessions cannot fill the
	// session table. A TCP connection that sends nothing decisive (neither
	// initialize nor a modern request) is closed after it too.
	DefaultInitTimeout = 30 * time.Second
)

// Timeouts configures the timeouts above. Zero fields take their defaults;
// a negative field turns that timeout off.
type Timeouts struct {
	Head        time.Duration
	Body        time.Duration
	MinBodyRate int // bytes per second
	Idle        time.Duration
	TCPIdle     time.Duration
	Init        time.Duration
}

func (t *Timeouts) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&t.Head, DefaultHeadTimeout)
	def(&t.Body, DefaultBodyTimeout)
	def(&t.Idle, DefaultIdleTimeout)
	def(&t.TCPIdle, DefaultTCPIdleTimeout)
	def(&t.Init, DefaultInitTimeout)
	if t.MinBodyRate == 0 {
		t.MinBodyRate = DefaultMinBodyRate
	}
}

// tickFor returns the sweep interval for timeouts t: the default tick, or
// a quarter of the shortest timeout if that is shorter, so a timeout fires
// at most a quarter late. Never below 10 ms.
func tickFor(t Timeouts, linger Linger) time.Duration {
	d := tickInterval
	for _, v := range []time.Duration{t.Head, t.Body, t.Idle, t.TCPIdle, t.Init, linger.Time} {
		if v > 0 && v/4 < d {
			d = v / 4
		}
	}
	return max(d, 10*time.Millisecond)
}

// phase is what a connection is doing, as the sweep sees it.
type phase uint8

const (
	phaseNone   phase = iota // not swept: closing, or nothing to time
	phaseFirst               // HTTP: open, no byte of a first request yet
	phaseIdle                // between requests / messages
	phaseHead                // HTTP: a request head is arriving
	phaseBody                // an HTTP body or an NDJSON message is arriving
	phaseBusy                // a request is being handled: HandlerTimeout bounds it
	phaseStream              // HTTP: an SSE stream, kept alive by heartbeats
	phaseInit                // NDJSON: the session has not completed its handshake
)

// progress is what the sweep remembers of one connection. The hot path
// only sets touched; the sweep stamps times with the loop's clock.
type progress struct {
	slot    int32 // index in loop.watched, -1 when not watched
	phase   phase
	touched bool  // bytes arrived since the last sweep
	since   int64 // unix nanos: the first sweep that saw phase
	lastIn  int64 // unix nanos: the last sweep that saw bytes arrive
	born    int64 // unix nanos: the first sweep that saw the connection
}

func (p *progress) slotPtr() *int32 { return &p.slot }

// observe records the connection's current phase at sweep time now.
func (p *progress) observe(ph phase, now int64) {
	if p.born == 0 {
		p.born = now
	}
	if ph != p.phase {
		p.phase = ph
		p.since = now
		p.lastIn = now
	}
	if p.touched {
		p.touched = false
		p.lastIn = now
	}
}

// stalled reports whether a body or message that has received n bytes has
// broken the body timeout or the minimum rate at time now.
func (p *progress) stalled(t *Timeouts, n int, now int64) bool {
	if t.Body > 0 && now-p.lastIn > int64(t.Body) {
		return true
	}
	if t.MinBodyRate > 0 && t.Body > 0 {
		if el := now - p.since; el > int64(t.Body) {
			return int64(n)*int64(time.Second)/el < int64(t.MinBodyRate)
		}
	}
	return false
}

func expired(d time.Duration, since, now int64) bool { return d > 0 && now-since > int64(d) }

// watched is a connection the loop's sweep visits: HTTP, NDJSON, or one
// lingering after its last answer.
type watched interface {
	sweep(now int64)
	slotPtr() *int32
}

// watch adds w to the loop's sweep. Loop goroutine.
func (l *loop) watch(w watched) {
	*w.slotPtr() = int32(len(l.watched))
	l.watched = append(l.watched, w)
}

// unwatch removes w (a no-op if it is not watched). Loop goroutine.
func (l *loop) unwatch(w watched) {
	i := *w.slotPtr()
	if i < 0 {
		return
	}
	last := int32(len(l.watched) - 1)
	if l.watched[i] != w {
		panic("BUG: engine: a watched connection's slot names another connection")
	}
	moved := l.watched[last]
	l.watched[i] = moved
	*moved.slotPtr() = i
	l.watched[last] = nil
	l.watched = l.watched[:last]
	*w.slotPtr() = -1
}

// rewatch puts w in old's place. Loop goroutine.
func (l *loop) rewatch(old, w watched) {
	i := *old.slotPtr()
	l.watched[i] = w
	*w.slotPtr() = i
	*old.slotPtr() = -1
}

// tick posts the periodic work to every bound loop: the sweep of its
// connections, then the HTTP work (heartbeats, session expiry).
func (s *Server) tick() {
	if sweepsOff.Load() {
		return
	}
	for i := range s.slots {
		l := s.slots[i].Load()
		if l == nil {
			continue
		}
		_ = l.shard.Post(l.sweep)
	}
}

// sweepsOff stops the periodic sweeps, for tests whose loops must see no
// task but their own.
var sweepsOff atomic.Bool

// sweep visits every connection of the loop. Loop goroutine. It walks
// backwards so a connection removed during the walk (its slot taken by the
// last one, already visited) does not hide another.
func (l *loop) sweep() {
	now := time.Now().UnixNano()
	for i := len(l.watched) - 1; i >= 0; i-- {
		if i < len(l.watched) {
			l.watched[i].sweep(now)
		}
	}
	if st := l.srv.http; st != nil {
		st.tickLoop(l, now)
	}
	// Queued blocking calls that waited too long are refused even if no
	// call ends to make room (admission).
	l.srv.r.Tick(l.shard)
}

// sweep times one HTTP connection. Loop goroutine.
func (hc *httpConn) sweep(now int64) {
	ph := hc.currentPhase()
	hc.observe(ph, now)
	t := &hc.l.srv.cfg.Timeouts
	switch ph {
	case phaseFirst:
		// Nothing was asked, so nothing is answered (as net/http does).
		if expired(t.Head, hc.since, now) {
			hc.closeQuietly(CloseIdle)
		}
	case phaseIdle:
		// lastIn, not since: requests that came and went between two
		// sweeps leave the phase idle but touch the connection.
		if expired(t.Idle, hc.lastIn, now) {
			hc.closeQuietly(CloseIdle)
		}
	case phaseHead:
		if expired(t.Head, hc.since, now) {
			hc.timeout()
		}
	case phaseBody:
		if hc.stalled(t, hc.req.BodyReceived(), now) {
			hc.timeout()
		}
	}
}

// currentPhase says what hc is doing. Loop goroutine.
func (hc *httpConn) currentPhase() phase {
	switch {
	case hc.closing:
		return phaseNone
	case hc.lastWrite != 0:
		return phaseStream
	case hc.busy:
		return phaseBusy
	case hc.req != nil && hc.req.HeaderComplete():
		return phaseBody
	case hc.req != nil || hc.c.InboundBuffered() > 0:
		return phaseHead
	case !hc.served:
		return phaseFirst
	}
	return phaseIdle
}

// timeout answers 408 to a request that did not arrive in time and closes
// politely. Loop goroutine, outside OnTraffic.
func (hc *httpConn) timeout() {
	hc.closePolitely(CloseTimeout)
	hc.writeSimple(408, "request timeout", true)
}

// closeQuietly closes an HTTP connection that has nothing in progress.
func (hc *httpConn) closeQuietly(reason CloseReason) {
	hc.l.closedBy(hc.c, reason)
	hc.closing = true
	_ = hc.c.Close()
}

// sweep times one NDJSON connection. Loop goroutine.
func (cn *conn) sweep(now int64) {
	ph := cn.currentPhase()
	cn.observe(ph, now)
	t := &cn.l.srv.cfg.Timeouts
	switch ph {
	case phaseInit:
		if expired(t.Init, cn.born, now) {
			cn.refuse(codec.CodeRequestTimeout, "session not initialized in time", CloseTimeout)
		}
	case phaseIdle:
		if expired(t.TCPIdle, cn.lastIn, now) {
			cn.l.closedBy(cn.c, CloseIdle)
			cn.closing = true
			_ = cn.c.Close()
		}
	case phaseBody:
		if cn.stalled(t, cn.part.Len(), now) {
			cn.refuse(codec.CodeRequestTimeout, "message incomplete: timed out", CloseTimeout)
		}
	}
}

// currentPhase says what cn is doing. Loop goroutine.
func (cn *conn) currentPhase() phase {
	switch s := cn.session; {
	case cn.closing:
		return phaseNone
	case cn.part != nil:
		return phaseBody
	case s.Era() != router.EraModern && !s.Initialized():
		return phaseInit
	case s.Active():
		return phaseBusy
	}
	return phaseIdle
}

// refuse ends an NDJSON connection with a JSON-RPC error (id null) and a
// polite close. Loop goroutine, outside OnTraffic.
func (cn *conn) refuse(code int, msg string, reason CloseReason) {
	l := cn.l
	l.batch = codec.AppendError(l.batch, nil, code, msg, nil)
	l.batch = append(l.batch, '\n')
	l.srv.flush(cn)
	cn.closePolitely(reason)
}

// closePolitely ends cn's session and lingers (linger.go) so the client
// reads what was written last. Loop goroutine, outside OnTraffic (inside
// it, the caller returns gnet.None afterwards).
func (cn *conn) closePolitely(reason CloseReason) {
	l := cn.l
	l.closedBy(cn.c, reason)
	cn.closing = true
	cn.dropPart()
	cn.session.Close()
	l.linger(cn.c, cn)
}
