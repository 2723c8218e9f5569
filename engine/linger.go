package engine

import (
	"time"

	"github.com/densemcp/densemcp/codec/http1"
	"github.com/densemcp/densemcp/router"
	"github.com/panjf2000/gnet/v2"
)

// Lingering close. When the server ends a connection while the client may
// still be sending (a 413 for a body that is still arriving, a 408, a
// refusal), closing the socket with unread bytes in its receive queue makes
// the kernel send RST (RFC 1122 §4.2.2.13), and the client's TCP throws away
// what it had received but not yet read — the answer included. A client
// that writes its whole body before it reads (Python's http.client, curl
// without Expect) then sees "connection reset" instead of the status.
//
// So, like nginx's lingering_close, the server sends its answer, shuts down
// its write side once the answer has left (the client reads the answer and
// then EOF), and keeps reading and discarding until the client closes, a
// byte cap or a deadline is reached. Only then is the socket closed. The
// discarding happens in OnTraffic, the deadlines in the loop's sweep, so a
// lingering connection costs a small record and no timer or goroutine.
const (
	// DefaultLingerTime bounds how long a connection lingers in all
	// (nginx's lingering_time).
	DefaultLingerTime = 30 * time.Second
	// DefaultLingerBytes bounds what a lingering connection discards before
	// it is closed anyway: 16 times the default body limit, so a client
	// that sends a body of tens of megabytes still reads its 413.
	DefaultLingerBytes = 64 << 20
	// lingerQuiet: a lingering client that sends nothing for this long is
	// closed (nginx's lingering_timeout).
	lingerQuiet = 5 * time.Second
)

// Linger configures lingering close. Zero fields take their defaults.
type Linger struct {
	// Time bounds how long a connection lingers after its last answer
	// (default DefaultLingerTime).
	Time time.Duration
	// Bytes bounds what is read and discarded meanwhile (default
	// DefaultLingerBytes).
	Bytes int
}

func (c *Linger) setDefaults() {
	if c.Time <= 0 {
		c.Time = DefaultLingerTime
	}
	if c.Bytes <= 0 {
		c.Bytes = DefaultLingerBytes
	}
}

// lingerConn is the state of a connection whose MCP part has ended and
// which is only waiting, discarding input, for the client to read its last
// answer. It replaces the connection's context.
type lingerConn struct {
	c       gnet.Conn
	l       *loop
	slot    int32 // in loop.watched
	shut    bool  // the write side is shut down
	closed  bool  // Close was requested
	touched bool  // bytes arrived since the last sweep
	left    int   // bytes still discarded before closing
	until   int64 // unix nanos: closed then at the latest
	quietBy int64 // unix nanos: closed then unless bytes arrive
}

// linger turns c, whose last answer has been written (or queued in gnet's
// outbound buffer), into a lingering connection. Loop goroutine of c. The
// caller has already ended the connection's own state (session, exchanges)
// and counted its close reason, and must return gnet.None (not gnet.Close)
// from the gnet callback it runs in, if any. c's unread input is dropped.
//
// This is the one way the engine ends a connection after an error answer
// while the client may still be sending; see httpConn.closePolitely and
// conn.closePolitely for the transports' entry points.
func (l *loop) linger(c gnet.Conn, from watched) {
	now := time.Now().UnixNano()
	cfg := &l.srv.cfg.Linger
	_, _ = c.Discard(-1)
	lc := &lingerConn{c: c, l: l, slot: -1, left: cfg.Bytes,
		until: now + int64(cfg.Time), quietBy: now + int64(lingerQuiet)}
	c.SetContext(lc)
	if from != nil && *from.slotPtr() >= 0 {
		l.rewatch(from, lc)
	} else {
		l.watch(lc)
	}
	l.stats.lingered++
	if h, ok := from.(heavyConn); ok {
		// OnClose will see the lingering record, not from.
		delete(l.heavy, h)
	}
	switch from.(type) {
	case *conn:
		l.stats.open[router.TransportNDJSON]--
	case *httpConn:
		l.stats.open[router.TransportHTTP]--
	}
	lc.tryShutdown()
}

// tryShutdown half-closes the socket once gnet has written everything
// queued for it: shutting down earlier would drop the answer.
func (lc *lingerConn) tryShutdown() {
	if lc.shut || lc.c.OutboundBuffered() > 0 {
		return
	}
	lc.shut = true
	if err := shutdownWrite(lc.c.Fd()); err != nil {
		// The socket is already gone (the peer reset it): nothing to
		// wait for.
		lc.close()
	}
}

// traffic discards what arrived. Loop goroutine.
func (lc *lingerConn) traffic() gnet.Action {
	n := lc.c.InboundBuffered()
	_, _ = lc.c.Discard(-1)
	lc.touched = true
	if lc.left -= n; lc.left <= 0 {
		lc.closed = true
		return gnet.Close
	}
	lc.tryShutdown()
	if lc.closed {
		return gnet.Close
	}
	return gnet.None
}

func (lc *lingerConn) close() {
	if !lc.closed {
		lc.closed = true
		_ = lc.c.Close()
	}
}

func (lc *lingerConn) slotPtr() *int32 { return &lc.slot }

// sweep closes the connection once it has lingered long enough.
func (lc *lingerConn) sweep(now int64) {
	if lc.closed {
		return
	}
	lc.tryShutdown()
	if lc.touched {
		lc.touched = false
		lc.quietBy = now + int64(lingerQuiet)
	}
	if now >= lc.until || now >= lc.quietBy {
		lc.close()
	}
}

// lingerDone forgets a lingering connection gnet has closed. Loop goroutine.
func (s *Server) lingerDone(lc *lingerConn) { lc.l.unwatch(lc) }

// closePolitely makes the answer hc writes next its last: the answer goes
// out with Connection: close, then the connection lingers instead of
// closing at once. Loop goroutine of hc. Use it before writing any answer
// that ends a connection while the client may still be sending: framing
// errors, timeouts, refusals.
func (hc *httpConn) closePolitely(reason CloseReason) {
	hc.polite = true
	hc.reason = reason
	hc.closeAfter = true
}

// lingerHTTP ends hc's HTTP state and lets the connection linger. Loop
// goroutine of hc, once its last answer is written.
func (s *Server) lingerHTTP(hc *httpConn) gnet.Action {
	hc.l.closedBy(hc.c, hc.reason)
	s.closeHTTP(hc)
	hc.l.linger(hc.c, hc)
	return gnet.None
}

// retryAfter is the header of a refusal the client should retry.
var retryAfter = [][2]string{{"Retry-After", "1"}}

// refuseRequest answers a request that cannot be framed or taken — 400,
// 413, 431, or 503 when the budget for bodies still arriving is full — and
// closes politely. Loop goroutine of hc.
func (hc *httpConn) refuseRequest(status int, err error) {
	reason := CloseBadRequest
	var extra [][2]string
	if err == http1.ErrBusy {
		reason = CloseBudget
		extra = retryAfter
	}
	hc.closePolitely(reason)
	text := err.Error()
	hc.writeHead(status, "text/plain; charset=utf-8", len(text), extra)
	hc.write([]byte(text))
	hc.finish()
}
