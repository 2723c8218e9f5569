package engine

import (
	"time"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/codec/http1"
	"github.com/densemcp/densemcp/router"
)

// httpSession is a legacy Streamable HTTP session. It lives on one loop
// (the owner, derived from its id); every request for it runs there, and
// answers travel to whichever connection asked. Owner loop only.
type httpSession struct {
	st         *httpState
	l          *loop
	id         string
	sess       *router.Session
	exchanges  exchangeTable // running POSTs by raw request id
	streams    []*sseStream  // standalone GET streams
	next       int           // round robin over streams
	lastActive int64         // unix nanos, as of the sweep after the last activity
	created    int64         // unix nanos, for Timeouts.Init
	touched    bool          // active since the last sweep (see idle)
	ended      bool          // end ran: the session is gone
	handedOver bool          // cluster: ended to be adopted by another node
	savedAt    int64         // cluster: unix nanos of the last SaveSession

	owner *router.Principal // who created it; only they may use it (auth.go)

	// Replay state (HTTPConfig.ReplayEvents > 0), see replay.go.
	replays     map[string]*replayStream
	replayByReq map[string]*replayStream
	replayOrder []string
	nextStream  int
}

func newHTTPSession(st *httpState, l *loop, id string) *httpSession {
	now := time.Now().UnixNano()
	hs := allocHTTPSession()
	*hs = httpSession{st: st, l: l, id: id, lastActive: now, created: now}
	hs.sess = st.srv.r.NewSession(l.shard, hs)
	if st.cfg.Auth != nil {
		hs.sess.RequirePrincipal()
	}
	hs.sess.SetTransport(router.TransportHTTP, id)
	return hs
}

// Send implements router.Transport: an answer or a message related to a
// request goes on that request's POST stream; anything else (or a related
// message whose POST stream has ended) goes on one GET stream, so each
// message is delivered on exactly one stream.
func (hs *httpSession) Send(kind router.MsgKind, related, msg []byte) {
	if kind == router.MsgCloseStream {
		hs.closeStream(related)
		return
	}
	if kind != router.MsgUnrelated && related != nil {
		if ex := hs.exchanges.get(related); ex != nil {
			ex.deliver(kind, msg)
			if kind.Final() {
				hs.exchanges.remove(related)
				hs.l.putExchange(ex)
			}
			return
		}
		if hs.replayed(kind, related, msg) {
			return
		}
		if kind.Final() {
			return // the asking connection is gone
		}
	}
	if len(hs.streams) == 0 {
		return
	}
	s := hs.streams[hs.next%len(hs.streams)]
	hs.next++
	s.event(msg)
}

// post routes one POSTed message of the session. m is valid for the call.
// closeConn is the connection's Connection: close, read on its own loop.
func (hs *httpSession) post(hc *httpConn, m *codec.Message, sse, closeConn bool) {
	hs.touched = true
	if m.Kind != codec.KindRequest {
		hs.st.srv.r.Handle(hs.sess, m)
		ex := hs.l.getExchange(hc, false)
		ex.done = true
		b := http1.AppendResponse(hs.l.wbuf[:0], 202, "", nil, closeConn, withCORS(hc.cors)...)
		ex.writeTo(b, true)
		hs.l.wbuf = b[:0]
		hs.l.putExchange(ex)
		return
	}
	if hs.exchanges.get(m.ID) != nil {
		ex := hs.l.getExchange(hc, false)
		ex.writeError(400, m.ID, codec.CodeInvalidRequest, "a request with this id is already running on this session")
		hs.l.putExchange(ex)
		return
	}
	ex := hs.l.getExchange(hc, sse)
	ex.closeConn = closeConn
	ex.hs = hs
	ex.key = append(ex.key[:0], m.ID...)
	if hc.l == hs.l {
		hc.target.id = ex.key // on hc's own loop; toSession set it otherwise
	}
	if hs.st.cfg.ReplayEvents > 0 && sse {
		ex.rs = hs.newReplay(string(ex.key))
	}
	if string(m.Method) == "initialize" {
		ex.extra = [][2]string{{"Mcp-Session-Id", hs.id}}
	}
	hs.exchanges.put(ex)
	ex.posting = true
	hs.st.srv.r.Handle(hs.sess, m)
	ex.posting = false
	if ex.done {
		hs.l.putExchange(ex) // answered inline: Send has already let go of it
		return
	}
	if ex.rs != nil && !ex.started && !ex.gone {
		// Still running: open the stream now with its priming event, so a
		// client that loses the connection can resume it (SEP-1699).
		ex.started = true
		b := http1.AppendSSEHead(nil, ex.headFields()...)
		b = http1.AppendSSERetry(b, ex.rs.eventID(0), DefaultSSERetryMs)
		ex.writeTo(b, false)
	}
}

// abandon forgets connection hc: its exchange id (if any) and any GET
// stream it carried. Owner loop.
func (hs *httpSession) abandon(hc *httpConn, id string) {
	if id != "" {
		if ex := hs.exchanges.get([]byte(id)); ex != nil && ex.hc == hc {
			ex.gone = true
			hs.exchanges.remove([]byte(id))
			if ex.rs != nil && ex.rs.ex == ex {
				ex.rs.ex = nil
			}
		}
	}
	for i, s := range hs.streams {
		if s.hc == hc {
			if rs := s.ex.rs; rs != nil && rs.ex == s.ex {
				rs.ex = nil
			}
			hs.streams = append(hs.streams[:i], hs.streams[i+1:]...)
			break
		}
	}
	hs.touched = true
}

// terminate answers DELETE: the session ends, its streams close.
func (hs *httpSession) terminate(hc *httpConn, closeConn bool) {
	hs.end()
	ex := newExchange(hc, hs.l, false)
	ex.done = true
	ex.writeTo(http1.AppendResponse(nil, 200, "", nil, closeConn, withCORS(hc.cors)...), true)
}

// end removes the session: running handlers are cancelled, open streams
// are ended. Owner loop.
func (hs *httpSession) end() {
	hs.sess.Close()
	hs.ended = true
	hs.exchanges.clear(func(ex *exchange) { ex.gone = true })
	for _, s := range hs.streams {
		s.close()
	}
	hs.streams = nil
	if hs.l.sessions[hs.id] == hs {
		delete(hs.l.sessions, hs.id)
		hs.st.sessions.Add(-1)
		if c := hs.st.srv.cluster; c != nil {
			hs.st.srv.adopted.Delete(hs.id)
			if !hs.handedOver {
				c.DropSession(hs.id)
			}
		}
	}
}

// idle reports whether the session has had nothing for ttl. Requests only
// mark the session touched (reading the clock on every request was a
// measurable share of the HTTP path); the sweep stamps the time, so a
// session is evicted at most one sweep late, never early. Loop goroutine.
func (hs *httpSession) idle(now int64, ttl time.Duration) bool {
	if hs.touched {
		hs.touched = false
		hs.lastActive = now
	}
	return hs.exchanges.len() == 0 && len(hs.streams) == 0 && now-hs.lastActive > int64(ttl)
}

// getStreamClose marks a GET stream's connection as not reusable: the
// stream ends when the session does, and a client that pooled the
// connection after reading the final chunk would reuse a socket we are
// closing.
var getStreamClose = [2]string{"Connection", "close"}

// sseStream is a standalone GET stream of a legacy session.
type sseStream struct {
	hs *httpSession
	hc *httpConn
	ex *exchange // carries the writes
}

// openStream answers GET with an SSE stream for server→client messages.
func (hs *httpSession) openStream(hc *httpConn, lastEventID []byte) {
	hs.touched = true
	if lastEventID != nil && hs.st.cfg.ReplayEvents > 0 && hs.resume(hc, lastEventID) {
		return
	}
	ex := newExchange(hc, hs.l, true)
	ex.hs = hs
	ex.started = true
	s := &sseStream{hs: hs, hc: hc, ex: ex}
	hs.streams = append(hs.streams, s)
	b := http1.AppendSSEHead(nil, withCORS(hc.cors, getStreamClose)...)
	if hs.st.cfg.ReplayEvents > 0 {
		ex.rs = hs.newReplay("")
		ex.rs.ex = ex
		b = http1.AppendSSERetry(b, ex.rs.eventID(0), DefaultSSERetryMs)
	} else {
		// A comment makes the stream visible to the client at once.
		b = http1.AppendSSEComment(b, "stream open")
	}
	ex.writeTo(b, false)
}

// event sends one message on the stream.
func (s *sseStream) event(msg []byte) {
	s.ex.deliver(router.MsgRelated, msg)
}

// close ends the stream with the last chunk and closes its connection.
func (s *sseStream) close() { s.closeWith(nil) }

// closeWith ends the stream with final (a last event, may be nil), the
// last chunk, and closes its connection.
func (s *sseStream) closeWith(final []byte) {
	hc := s.hc
	s.ex.done = true
	s.ex.gone = true
	b := http1.AppendLastChunk(append([]byte(nil), final...))
	if s.ex.owner == hc.l {
		if !hc.closing {
			hc.write(b)
			hc.flush()
			hc.closing = true
			_ = hc.c.Close()
		}
		return
	}
	s.ex.owner.wrote(len(b))
	_ = hc.c.AsyncWrite(b, nil)
	_ = hc.c.Close()
}

// closeStream ends the POST stream of request related early (SEP-1699):
// the connection is free for its next request, and the request's later
// messages wait in its replay ring for a GET with Last-Event-ID. Only a
// stream that is replayable and already open can be closed.
func (hs *httpSession) closeStream(related []byte) {
	ex := hs.exchanges.get(related)
	if ex == nil || ex.rs == nil || !ex.started || ex.done {
		return
	}
	hs.exchanges.remove(related)
	ex.done = true
	ex.rs.ex = nil
	ex.writeTo(http1.AppendLastChunk(nil), true)
}
