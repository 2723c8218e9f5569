package engine

import (
	"net"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/codec/partial"
	"github.com/densemcp/densemcp/router"
	"github.com/densemcp/densemcp/shards"
	"github.com/panjf2000/gnet/v2"
	"github.com/valyala/bytebufferpool"
)

// conn is one TCP NDJSON connection = one MCP session. Kept small: at 15K
// idle connections every byte here counts.
type conn struct {
	c       gnet.Conn
	l       *loop
	session *router.Session
	// inTraffic is set while OnTraffic runs: answers join the loop's batch.
	inTraffic bool
	closing   bool
	deferred  bool // queued for the loop's next pass (fair share)
	gone      bool // OnClose ran
	progress       // for the timeouts (timeouts.go)
	// part holds a line spanning reads, from the loop's free list, only
	// while it is incomplete (ndjson_partial.go).
	part *partial.Buffer
	// held are answers sent outside the connection's traffic pass,
	// waiting for the loop's flush task (held.go).
	held *bytebufferpool.ByteBuffer
}

// OnOpen creates the session on the connection's loop.
func (s *Server) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	if _, ok := c.Context().(bindMarker); ok {
		s.loopOf(c.EventLoop()) // BindLoops: bind the loop; it closes the peer
		c.SetContext(nil)
		return nil, gnet.None
	}
	if k, ok := c.Context().(*kickConn); ok {
		k.l.kick.c = c // a loop's kicker, enrolled by setupKicker
		return nil, gnet.None
	}
	given, fromListener := c.Context().(enrolled) // listeners.go
	if fromListener {
		c.SetContext(nil)
	} else if s.listenersOnly {
		return nil, gnet.Close // gnet's own private socket: nobody's client
	}
	l := s.loopOf(c.EventLoop())
	if s.draining.Load() {
		l.closedBy(c, CloseShutdown)
		return nil, gnet.Close
	}
	if Stage(s.stage.Load()) >= StageRefuseConnections {
		l.closedBy(c, CloseOverload)
		return nil, gnet.Close
	}
	if s.Stats.Open.Add(1) > int64(s.cfg.MaxConnections) {
		s.Stats.Open.Add(-1)
		l.closedBy(c, CloseMaxConnections)
		s.limitReached(int(CloseMaxConnections), "connection limit reached: closing new connections", "max_connections", s.cfg.MaxConnections)
		return nil, gnet.Close
	}
	if s.http != nil && (given.http || !fromListener && samePort(c.LocalAddr().String(), s.httpAddr)) {
		s.openHTTP(c, l)
		l.opened(c, router.TransportHTTP)
		return nil, gnet.None
	}
	cn := allocConn()
	cn.c, cn.l = c, l
	cn.session = s.r.NewSession(l.shard, cn)
	cn.session.SetTransport(router.TransportNDJSON, "")
	c.SetContext(cn)
	l.watch(cn)
	l.opened(c, router.TransportNDJSON)
	return nil, gnet.None
}

// OnClose ends the session; gnet calls it on the loop before closing the fd.
func (s *Server) OnClose(c gnet.Conn, err error) gnet.Action {
	if k, ok := c.Context().(*kickConn); ok {
		k.l.kick.c = nil
		return gnet.None
	}
	if c.Context() != nil {
		s.Stats.Open.Add(-1)
	}
	switch x := c.Context().(type) {
	case *httpConn:
		x.gone = true
		delete(x.l.heavy, x)
		if !x.closing {
			x.l.closedBy(c, ClosePeer)
		}
		x.l.stats.open[router.TransportHTTP]--
		s.closeHTTP(x)
		x.l.unwatch(x)
		c.SetContext(nil)
		x.l.armIdle(c)
		return gnet.None
	case *lingerConn:
		x.closed = true
		s.lingerDone(x)
		c.SetContext(nil)
		x.l.armIdle(c)
		return gnet.None
	}
	cn, ok := c.Context().(*conn)
	if !ok {
		return gnet.None
	}
	cn.l.unwatch(cn)
	cn.dropPart()
	cn.dropHeld()
	cn.gone = true
	delete(cn.l.heavy, cn)
	cn.session.Close()
	if !cn.closing {
		cn.l.closedBy(c, ClosePeer)
	}
	cn.l.stats.open[router.TransportNDJSON]--
	c.SetContext(nil)
	cn.l.armIdle(c) // a close is a pass too (idle.go)
	return gnet.None
}

// OnTraffic frames every complete line in the inbound bytes, routes each,
// writes all answers with one write, and leaves a partial line buffered.
func (s *Server) OnTraffic(c gnet.Conn) gnet.Action {
	switch x := c.Context().(type) {
	case *conn:
		if x.deferred {
			return gnet.None // its turn comes in the loop's next pass
		}
		x.l.yield()
		act := s.trafficLines(x)
		x.l.armIdle(c)
		return act
	case *httpConn:
		if x.deferred {
			return gnet.None
		}
		x.l.yield()
		act := s.trafficHTTP(x)
		x.l.armIdle(c)
		return act
	case *lingerConn:
		act := x.traffic()
		x.l.armIdle(c)
		return act
	case *kickConn:
		x.l.kicked(c)
		x.l.armIdle(c)
		return gnet.None
	}
	return gnet.Close
}

// trafficLines is one pass over an NDJSON connection: at most
// MessagesPerPass lines (fair share), the rest left in gnet's buffer for
// the loop's next pass. Loop goroutine.
func (s *Server) trafficLines(cn *conn) gnet.Action {
	c := cn.c
	cn.touched = true
	l := cn.l
	if s.timing {
		l.shard.Arrived = shards.Now()
	}
	buf, _ := c.Peek(-1)
	consumed := 0
	l.takeHeld(cn)
	cn.inTraffic = true
	var reason CloseReason
	budget := s.cfg.MessagesPerPass
	if cn.part != nil {
		// A line begun in an earlier read (ndjson_partial.go).
		consumed, reason = s.continueLine(cn, buf)
		budget--
	}
	for !cn.closing {
		if budget <= 0 {
			if _, n, _ := codec.NextLine(buf[consumed:], s.cfg.MaxLineBytes); n > 0 {
				cn.deferred = cn.l.deferPass(cn, c)
			}
			break
		}
		line, n, err := codec.NextLine(buf[consumed:], s.cfg.MaxLineBytes)
		if err != nil {
			reason = s.lineTooLong(cn)
			break
		}
		if n == 0 {
			// A partial line: held by the engine, not gnet.
			reason = s.holdLine(cn, buf[consumed:])
			consumed = len(buf)
			break
		}
		consumed += n
		if len(line) > 0 {
			budget--
		}
		s.handleLine(cn, line)
	}
	// Answers EndInput produces for this connection join its batch too.
	s.r.EndInput(l.shard)
	cn.inTraffic = false
	if consumed > 0 {
		l.stats.bytesIn += uint64(consumed)
		_, _ = c.Discard(consumed)
	}
	if !cn.closing && c.InboundBuffered() > s.cfg.MaxInboundBytes {
		reason = CloseInboundLimit
		cn.closing = true
	}
	s.flush(cn)
	if cn.closing {
		if reason == ClosePeer {
			reason = CloseSlowConsumer
		}
		if reason == CloseLineTooLong || reason == CloseBudget {
			// The rest of the line may still be arriving: linger so
			// the client reads the error.
			cn.closePolitely(reason)
			return gnet.None
		}
		l.closedBy(c, reason)
		return gnet.Close
	}
	return gnet.None
}

// batchFlushBytes is how much a loop's batch of answers may hold before it
// is written in the middle of an OnTraffic.
const batchFlushBytes = 64 << 10

// flush writes the loop's batch to the connection and applies the
// slow-consumer rule.
func (s *Server) flush(cn *conn) {
	l := cn.l
	if len(l.batch) == 0 {
		return
	}
	_, _ = cn.c.Write(l.batch)
	l.wrote(len(l.batch))
	l.batch = l.batch[:0]
	n := cn.c.OutboundBuffered()
	if n > s.cfg.MaxOutboundBytes {
		cn.closing = true
		return
	}
	l.noteOutbound(cn, n)
}

// Send implements router.Transport. During OnTraffic the message joins the
// loop's batch; otherwise (an answer from the worker pool, a list_changed
// notification, a refusal decided in another connection's pass) it is
// held for the loop's flush task (held.go). NDJSON carries every kind of
// message on the one stream. Loop goroutine only.
func (cn *conn) Send(kind router.MsgKind, _, msg []byte) {
	if cn.closing || kind == router.MsgCloseStream {
		return
	}
	l := cn.l
	if cn.inTraffic {
		l.batch = append(l.batch, msg...)
		l.batch = append(l.batch, '\n')
		return
	}
	l.hold(cn, msg)
	if cn.closing {
		l.closedBy(cn.c, CloseSlowConsumer)
		_ = cn.c.Close()
	}
}

// samePort reports whether two host:port addresses have the same port: the
// listener a connection arrived on, whatever name the address was given in.
func samePort(a, b string) bool {
	_, pa, err1 := net.SplitHostPort(a)
	_, pb, err2 := net.SplitHostPort(b)
	return err1 == nil && err2 == nil && pa == pb
}
