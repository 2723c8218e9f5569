package engine

import (
	"strconv"
	"time"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/codec/http1"
	"github.com/densemcp/densemcp/router"
)

// Admission before decoding. A request read on a loop is refused there,
// at once and cheaply, when the server is draining, the overload manager
// refuses new requests, its client has too many calls in flight or its
// loop does: only the envelope's id is looked for (a walk over the
// top-level members), no strict decode, no routing. Notifications and
// responses still pass: cancellations and a client's answers to
// elicitation are what let the calls already admitted finish. The
// adaptive concurrency limit is applied after routing, where a call is
// known to block (router.admit).

// refusal returns why a request read on loop l for session sess (nil:
// not known before decoding, as on HTTP) must be refused, if it must.
// Loop goroutine.
func (s *Server) refusal(l *loop, sess *router.Session) (router.Refusal, bool) {
	if Stage(s.stage.Load()) >= StageRefuseRequests {
		return router.RefusedMemory, true
	}
	w, ok := s.r.Admissible(l.shard, sess)
	return w, !ok
}

// requestID finds the id of msg if msg is a request (it has a method and
// an id). An id that is not a string or a number is answered as null, as
// the decoder would.
func requestID(msg []byte) (id []byte, ok bool) {
	var method, hasID bool
	codec.ObjectEach(msg, func(k, v []byte) bool {
		switch string(k) {
		case "id":
			id, hasID = v, true
		case "method":
			method = true
		}
		return !method || !hasID
	})
	if !method || !hasID {
		return nil, false
	}
	if !codec.IsString(id) && !isNumberToken(id) {
		id = nil
	}
	return id, true
}

func isNumberToken(v []byte) bool {
	return len(v) > 0 && (v[0] == '-' || v[0] >= '0' && v[0] <= '9')
}

// refuseLine answers an NDJSON or stdio line with a refusal if it is a
// request that must be refused; it reports whether it did.
func (s *Server) refuseLine(l *loop, sess *router.Session, line []byte) bool {
	w, refuse := s.refusal(l, sess)
	if !refuse {
		return false
	}
	id, isReq := requestID(line)
	if !isReq {
		return false
	}
	s.r.Refuse(sess, id, w)
	return true
}

// refuseHTTP answers a complete HTTP request with a refusal when it is an
// MCP request (a POSTed JSON-RPC request, or a GET opening a stream) that
// must be refused; it reports whether it did. Loop goroutine of hc.
func (st *httpState) refuseHTTP(hc *httpConn, req *http1.Request) bool {
	if string(req.Path()) != st.cfg.Endpoint {
		return false
	}
	post := string(req.Method()) == "POST"
	if !post && string(req.Method()) != "GET" {
		return false
	}
	// Whether to refuse is a few loads; the body is walked for the id only
	// when the answer is yes (walking every POST cost about 1,200
	// instructions of a ~13,000-instruction call).
	w, refuse := st.srv.refusal(hc.l, nil)
	if !refuse {
		return false
	}
	var id []byte
	if post {
		var isReq bool
		if id, isReq = requestID(req.Body()); !isReq {
			return false
		}
	}
	st.srv.r.LoopStats(hc.l.shard).Refused[w].Inc()
	if len(st.cfg.CORSOrigins) > 0 {
		// Refused before serve looks at the Origin: a browser must still
		// be able to read the refusal and its Retry-After.
		hc.cors = st.cfg.corsOrigin(req.Known(http1.FieldOrigin))
	}
	hc.writeRefusal(w, id)
	return true
}

// writeRefusal answers the current request with refusal w: 503 for
// server-wide pressure, 429 for a client over its share, with Retry-After
// and the JSON-RPC error as the body. Draining, the connection closes.
func (hc *httpConn) writeRefusal(w router.Refusal, id []byte) {
	if w == router.RefusedShutdown {
		hc.closeAfter = true
	}
	l := hc.l
	body := l.srv.r.AppendRefusal(l.rbuf[:0], id, w)
	l.rbuf = body[:0]
	hc.writeHead(refusalStatus(w), "application/json", len(body), [][2]string{{"Retry-After", retryAfterHeader(l.srv.r.RetryAfter(w))}})
	hc.write(body)
	hc.finish()
}

func refusalStatus(w router.Refusal) int {
	if w.ClientFault() {
		return 429
	}
	return 503
}

// retryAfterHeader is a retry hint in whole seconds (at least 1).
func retryAfterHeader(d time.Duration) string {
	ms := d.Milliseconds()
	return strconv.FormatInt(max((ms+999)/1000, 1), 10)
}
