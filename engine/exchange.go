package engine

import (
	"bytes"
	"encoding/base64"
	"strconv"
	"time"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/codec/http1"
	"github.com/densemcp/densemcp/router"
	"github.com/panjf2000/gnet/v2"
)

// exchange produces the response to one POSTed request: a JSON body when
// the answer is the first message, else an SSE stream (one event per
// message, the answer last). Its methods run on the owner loop, the loop
// of the session; bytes reach the connection, which may live on another
// loop, through writeTo.
type exchange struct {
	hc        *httpConn
	owner     *loop
	sse       bool // the client accepts text/event-stream
	modern    bool
	started   bool // SSE head written
	done      bool
	gone      bool        // the connection closed
	id        []byte      // modern: the request id
	key       []byte      // legacy: the raw request id, its key in hs.exchanges (a buffer the pool keeps)
	posting   bool        // legacy: httpSession.post is still running Handle for it
	extra     [][2]string // e.g. Mcp-Session-Id on initialize
	closeConn bool        // the request said Connection: close
	session   *router.Session
	hs        *httpSession
	rs        *replayStream // replay record of this stream, when replay is on
}

// headFields are the extra fields of an SSE response head. The request's
// CORS origin is read from hc on the owner loop: hc's loop set it before
// handing the request over and clears it only once the exchange is done.
func (ex *exchange) headFields() [][2]string {
	f := ex.extra
	if ex.closeConn {
		f = append(f[:len(f):len(f)], [2]string{"Connection", "close"})
	}
	return withCORS(ex.hc.cors, f...)
}

func newExchange(hc *httpConn, owner *loop, sse bool) *exchange {
	ex := allocExchange()
	*ex = exchange{hc: hc, owner: owner, sse: sse}
	return ex
}

// maxFreeExchanges bounds a loop's pool of legacy POST exchanges.
const maxFreeExchanges = 1024

// getExchange takes a legacy POST exchange from owner's pool: at one per
// request, allocating it was a measurable share of the HTTP hot path.
// Owner loop.
func (owner *loop) getExchange(hc *httpConn, sse bool) *exchange {
	if n := len(owner.freeEx); n > 0 {
		ex := owner.freeEx[n-1]
		owner.freeEx = owner.freeEx[:n-1]
		ex.hc, ex.sse = hc, sse
		return ex
	}
	return newExchange(hc, owner, sse)
}

// getModernExchange takes an exchange and its request session from the
// loop's pool for a modern POST: at one session per request, creating them
// was most of what a stateless call allocated. Loop of hc.
func (l *loop) getModernExchange(hc *httpConn, sse bool) *exchange {
	if n := len(l.freeModern); n > 0 {
		ex := l.freeModern[n-1]
		l.freeModern = l.freeModern[:n-1]
		ex.hc, ex.sse = hc, sse
		return ex
	}
	ex := newExchange(hc, l, sse)
	ex.modern = true
	ex.session = l.srv.r.NewRequestSession(l.shard, ex)
	if l.srv.http.cfg.Auth != nil {
		ex.session.RequirePrincipal()
	}
	ex.session.SetTransport(router.TransportHTTP, "")
	return ex
}

// putModernExchange keeps an answered modern exchange for the next POST,
// if its session agrees that nothing can reach it any more (see
// router.Session.Reuse). Loop of the exchange.
func (l *loop) putModernExchange(ex *exchange) {
	if !ex.done || len(l.freeModern) >= maxFreeExchanges || !ex.session.Reuse(ex) {
		return
	}
	*ex = exchange{owner: l, modern: true, session: ex.session}
	l.freeModern = append(l.freeModern, ex)
}

// putExchange returns a finished legacy exchange to its owner's pool. Only
// an exchange nothing refers to any more comes here: answered, out of
// hs.exchanges, not carrying a replay stream (whose ring points back to
// it), and not inside post. Owner loop.
func (owner *loop) putExchange(ex *exchange) {
	if ex.rs != nil || ex.posting || len(owner.freeEx) >= maxFreeExchanges {
		return
	}
	*ex = exchange{owner: owner, key: ex.key[:0]} // the id's buffer is reused: no allocation per request
	owner.freeEx = append(owner.freeEx, ex)
}

// Send implements router.Transport for the ephemeral session of a modern
// request.
func (ex *exchange) Send(kind router.MsgKind, _, msg []byte) {
	if kind != router.MsgCloseStream { // the modern era has no resumable streams
		ex.deliver(kind, msg)
	}
}

// deliver writes one message of the exchange. Owner loop.
func (ex *exchange) deliver(kind router.MsgKind, msg []byte) {
	if ex.done || ex.gone {
		return
	}
	if kind.Final() {
		ex.done = true
		if !ex.started {
			b := ex.owner.wbuf[:0]
			if challenge, ok := ex.scopeRefusal(msg); ok {
				b = http1.AppendJSONHead(b, 403, len(msg))
				b = http1.AppendHeader(b, "WWW-Authenticate", challenge)
			} else {
				b = http1.AppendJSONHead(b, ex.statusOf(kind, msg), len(msg))
			}
			for _, h := range ex.extra {
				b = http1.AppendHeader(b, h[0], h[1])
			}
			if kind != router.MsgResponse {
				// A refusal: Retry-After from its reason, in data.
				b = http1.AppendHeader(b, "Retry-After", retryAfterOf(msg))
			}
			b = appendCORS(b, ex.hc.cors)
			if ex.closeConn {
				b = http1.AppendHeader(b, "Connection", "close")
			}
			b = append(b, "\r\n"...)
			b = append(b, msg...)
			ex.writeTo(b, true)
			ex.owner.wbuf = b[:0]
		} else {
			b := http1.AppendSSEEvent(ex.owner.wbuf[:0], ex.eventID(msg, true), "message", msg)
			b = http1.AppendLastChunk(b)
			ex.writeTo(b, true)
			ex.owner.wbuf = b[:0]
		}
		if ex.modern && ex.session != nil {
			ex.session.Close()
		}
		return
	}
	if !ex.sse {
		// A client that accepts only JSON gets only the answer.
		return
	}
	b := ex.owner.wbuf[:0]
	if !ex.started {
		ex.started = true
		b = http1.AppendSSEHead(b, ex.headFields()...)
		if ex.rs != nil {
			b = http1.AppendSSERetry(b, ex.rs.eventID(0), DefaultSSERetryMs)
		}
	}
	b = http1.AppendSSEEvent(b, ex.eventID(msg, false), "message", msg)
	ex.writeTo(b, false)
	ex.owner.wbuf = b[:0]
}

// eventID records msg for replay and returns its SSE id (nil when replay
// is off).
func (ex *exchange) eventID(msg []byte, final bool) []byte {
	if ex.rs == nil {
		return nil
	}
	return ex.rs.record(msg, ex.hs.st.cfg.ReplayEvents, final)
}

var resultPrefix = []byte(`{"jsonrpc":"2.0","id":`)

// statusOf picks the HTTP status of a JSON answer: refusals are 503 (the
// server is overloaded or stopping) or 429 (the client is over its
// share); otherwise modernStatus.
func (ex *exchange) statusOf(kind router.MsgKind, msg []byte) int {
	switch kind {
	case router.MsgBusy:
		return 503
	case router.MsgOverShare:
		return 429
	}
	if !ex.modern {
		return 200
	}
	return modernStatus(ex.id, msg)
}

// modernStatus picks the HTTP status of a modern JSON answer to request
// id: the era's malformed-request errors are 400 (spec: missing _meta
// fields, missing capability, unsupported version, header mismatch), an
// unknown method 404; everything else 200.
func modernStatus(id, msg []byte) int {
	// The router writes a result as {"jsonrpc":"2.0","id":<id>,"result":…;
	// recognise that without walking the whole answer.
	if rest, ok := bytes.CutPrefix(msg, resultPrefix); ok && bytes.HasPrefix(rest, id) &&
		bytes.HasPrefix(rest[len(id):], []byte(`,"result":`)) {
		return 200
	}
	errObj, ok := codec.ObjectField(msg, "error")
	if !ok {
		return 200
	}
	code, _ := codec.ObjectField(errObj, "code")
	switch string(code) {
	case "-32020", "-32021", "-32022":
		return 400
	case "-32601":
		return 404
	case "-32602":
		m, _ := codec.ObjectField(errObj, "message")
		if bytes.HasPrefix(m, []byte(`"missing _meta`)) {
			return 400
		}
	}
	return 200
}

// writeError answers the exchange with a JSON-RPC error and HTTP status.
func (ex *exchange) writeError(status int, id []byte, code int, msg string) {
	body := codec.AppendError(nil, id, code, msg, nil)
	b := http1.AppendJSONHead(nil, status, len(body))
	b = appendCORS(b, ex.hc.cors)
	b = append(b, "\r\n"...)
	b = append(b, body...)
	ex.done = true
	ex.writeTo(b, true)
}

// abandon stops writing: the connection closed. A modern request's
// handlers are cancelled with its ephemeral session. Owner loop.
func (ex *exchange) abandon() {
	ex.gone = true
	if ex.modern && ex.session != nil {
		ex.session.Close()
	}
}

// writeTo sends b to the exchange's connection; last ends the exchange so
// the connection may read its next request. On the connection's own loop
// it writes at once; from another loop it goes through AsyncWrite (b is
// copied), whose callback runs on the connection's loop.
func (ex *exchange) writeTo(b []byte, last bool) {
	hc := ex.hc
	sse := ex.started
	if ex.owner == hc.l {
		if hc.closing {
			return
		}
		hc.write(b)
		hc.afterWrite(sse, last)
		return
	}
	own := bytes.Clone(b)
	ex.owner.wrote(len(own))
	_ = hc.c.AsyncWrite(own, func(_ gnet.Conn, err error) error {
		if err == nil {
			hc.afterWrite(sse, last)
		}
		return nil
	})
}

// afterWrite updates the connection after a write. Its own loop.
func (hc *httpConn) afterWrite(sse, last bool) {
	if sse {
		if hc.lastWrite == 0 {
			hc.markSSE()
		}
		hc.lastWrite = time.Now().UnixNano()
	}
	if !hc.inTraffic {
		n := hc.c.OutboundBuffered()
		if n > hc.l.srv.cfg.MaxOutboundBytes {
			hc.l.closedBy(hc.c, CloseSlowConsumer)
			hc.closing = true
			_ = hc.c.Close()
			return
		}
		hc.l.noteOutbound(hc, n)
	}
	if last {
		if sse {
			delete(hc.l.sse, hc)
			hc.lastWrite = 0
		}
		hc.finish()
	}
}

func decodeBase64(b []byte) []byte {
	out, err := base64.StdEncoding.AppendDecode(nil, b)
	if err != nil {
		return nil
	}
	return out
}

// retryAfterOf is the Retry-After of a refusal message: its
// data.retryAfterMs in whole seconds, at least 1. Refusals are written by
// router.AppendRefusal alone, with data last, so the member is found by
// its bytes rather than by walking the message three levels deep: a
// refused call past capacity is the hot path of an overloaded loop (the
// walk was a quarter of the refusal's userland). An id cannot hold the
// pattern, whose quotes a string id would carry escaped.
func retryAfterOf(msg []byte) string {
	i := bytes.Index(msg, retryAfterKey)
	if i < 0 {
		return "1"
	}
	var ms int64
	n := 0
	for _, c := range msg[i+len(retryAfterKey):] {
		if c < '0' || c > '9' || n == 18 {
			break
		}
		ms = ms*10 + int64(c-'0')
		n++
	}
	if n == 0 || ms <= 1000 {
		return "1"
	}
	return strconv.FormatInt((ms+999)/1000, 10)
}

var retryAfterKey = []byte(`"retryAfterMs":`)
