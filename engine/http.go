package engine

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"sync/atomic"
	"time"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/codec/http1"
	"github.com/densemcp/densemcp/router"
	"github.com/densemcp/densemcp/shards"
	"github.com/panjf2000/gnet/v2"
)

// httpState is the server-wide part of Streamable HTTP.
type httpState struct {
	srv      *Server
	cfg      HTTPConfig
	parser   http1.Parser
	sessions atomic.Int64 // live legacy sessions, for MaxSessions
}

func newHTTPState(s *Server, addr string) *httpState {
	cfg := s.cfg.HTTP
	cfg.setDefaults(addr)
	return &httpState{srv: s, cfg: cfg, parser: http1.Parser{Limits: http1.Limits{
		MaxHeaderBytes: cfg.MaxHeaderBytes, MaxBodyBytes: cfg.MaxBodyBytes}, Budget: s.budget}}
}

// httpConn is one HTTP/1.1 connection. Requests are answered one at a
// time, in order: while one is being answered (busy), later pipelined
// requests wait in gnet's inbound buffer, bounded by the parser's limits.
type httpConn struct {
	c            gnet.Conn
	l            *loop
	req          *http1.Request // taken from the loop's pool while parsing
	busy         bool
	sentContinue bool
	closing      bool
	inTraffic    bool
	closeAfter   bool         // the current request asked for Connection: close
	deferred     bool         // queued for the loop's next pass (fair share)
	gone         bool         // OnClose ran
	cors         string       // the current request's allowed Origin, for its answer's CORS fields ("": none; cors.go)
	ex           *exchange    // a modern response being produced, if any
	target       target       // the legacy exchange or stream being served, if any
	lastWrite    int64        // unix nanos, for heartbeats (SSE only)
	session      *httpSession // the last legacy session used here, if on hc's loop
	served       bool         // a request was read: the next wait is keep-alive idle
	polite       bool         // close by lingering (linger.go), for reason
	reason       CloseReason
	progress     // for the timeouts (timeouts.go)

	// Authorization (auth.go).
	principal *router.Principal // who the current request acts for
	authWait  *http1.Request    // the request waiting for Verify, if any
	fwd       *Forward          // the request forwarded to another node, if any
}

func (s *Server) openHTTP(c gnet.Conn, l *loop) {
	hc := allocHTTPConn()
	hc.c, hc.l = c, l
	c.SetContext(hc)
	l.watch(hc)
}

// trafficHTTP is one pass over an HTTP connection: requests are parsed
// and served in order while the previous one is answered at once, at most
// MessagesPerPass of them (fair share); the rest wait for the loop's next
// pass. Loop goroutine.
func (s *Server) trafficHTTP(hc *httpConn) gnet.Action {
	st := s.http
	c := hc.c
	if s.timing {
		hc.l.shard.Arrived = shards.Now()
	}
	hc.inTraffic = true
	hc.touched = true
	budget := s.cfg.MessagesPerPass
	for !hc.busy && !hc.closing {
		buf, _ := c.Peek(-1)
		if len(buf) == 0 {
			break
		}
		if budget == 0 {
			hc.deferred = hc.l.deferPass(hc, c)
			break
		}
		if hc.req == nil {
			hc.req = hc.l.getRequest()
		}
		n, err := st.parser.Parse(buf, hc.req)
		if err != nil {
			e, _ := err.(*http1.Error)
			status := 400
			if e != nil {
				status = e.Status
			}
			hc.l.stats.bytesIn += uint64(len(buf))
			_, _ = c.Discard(-1)
			hc.refuseRequest(status, err)
			hc.closing = true
			break
		}
		if n == 0 {
			// A body still arriving is held by the Request alone.
			if d := hc.req.Detach(); d > 0 {
				_, _ = c.Discard(d)
			}
			if hc.req.HeaderComplete() && hc.req.ExpectContinue() && !hc.sentContinue {
				hc.sentContinue = true
				hc.write(http1.AppendContinue(nil))
			}
			break
		}
		// The Request holds its own copies of the head and body.
		hc.l.stats.bytesIn += uint64(n)
		_, _ = c.Discard(n)
		budget--
		hc.sentContinue = false
		hc.served = true
		hc.closeAfter = !hc.req.KeepAlive() || s.draining.Load() || Stage(s.stage.Load()) >= StageNoKeepAlive
		if !st.refuseHTTP(hc, hc.req) {
			st.serve(hc, hc.req)
		}
		if hc.authWait != hc.req { // else resume puts it back
			hc.l.putRequest(hc.req)
		}
		hc.req = nil
	}
	hc.inTraffic = false
	s.r.EndInput(hc.l.shard)
	hc.flush()
	// Bodies are taken from gnet's buffer as they arrive (Detach) and a
	// head past MaxHeaderBytes is refused, so only requests pipelined
	// behind one being answered wait here.
	if !hc.closing && c.InboundBuffered() > st.cfg.MaxHeaderBytes+pipelineSlack {
		hc.l.closedBy(c, CloseInboundLimit)
		hc.closing = true
	}
	if hc.closing {
		if hc.polite {
			return s.lingerHTTP(hc)
		}
		return gnet.Close
	}
	return gnet.None
}

func (s *Server) closeHTTP(hc *httpConn) {
	if hc.req != nil {
		hc.l.putRequest(hc.req)
		hc.req = nil
	}
	hc.closing = true
	if ex := hc.ex; ex != nil {
		hc.ex = nil
		ex.abandon() // modern exchanges live on hc's own loop
	}
	if t := hc.target; t.owner != nil {
		hc.target = target{}
		id := string(t.id) // t.id may be the exchange's buffer, reused once it is done
		_ = t.owner.shard.Post(func() {
			if hs := t.owner.sessions[t.sid]; hs != nil {
				hs.abandon(hc, id)
			}
		})
	}
	if hc.lastWrite != 0 {
		delete(hc.l.sse, hc)
	}
	if f := hc.fwd; f != nil {
		hc.fwd = nil
		s.cluster.Abandon(f)
	}
}

// serve answers one complete request. Loop goroutine of hc.
func (st *httpState) serve(hc *httpConn, req *http1.Request) {
	if string(req.Path()) != st.cfg.Endpoint {
		if st.cfg.Auth == nil || !st.serveWellKnown(hc, req) {
			hc.writeSimple(404, "not found", false)
		}
		return
	}
	origin := req.Known(http1.FieldOrigin)
	if len(st.cfg.CORSOrigins) > 0 {
		hc.cors = st.cfg.corsOrigin(origin) // until finish
	}
	if !st.cfg.hostAllowed(req.Host()) || !st.cfg.originAllowed(origin) {
		hc.writeSimple(403, "forbidden: Host or Origin not allowed", false)
		return
	}
	// Every MCP request is authorized here, before its era, version or
	// session is looked at (CORS preflights carry no credentials).
	if st.cfg.Auth != nil && string(req.Method()) != "OPTIONS" && !st.authorize(hc, req) {
		return
	}
	st.route(hc, req)
}

// route answers an authorized request by its HTTP method.
func (st *httpState) route(hc *httpConn, req *http1.Request) {
	switch string(req.Method()) {
	case "POST":
		st.servePost(hc, req)
	case "GET":
		st.serveGet(hc, req)
	case "DELETE":
		st.serveDelete(hc, req)
	case "OPTIONS":
		extra := [][2]string{{"Allow", "GET, POST, DELETE, OPTIONS"}}
		if hc.cors != "" {
			extra = append(extra, corsPreflight(req.HeaderValues)...)
		}
		hc.writeHead(204, "", 0, extra)
		hc.finish()
	default:
		hc.writeHead(405, "text/plain", len("method not allowed"), [][2]string{{"Allow", "GET, POST, DELETE, OPTIONS"}})
		hc.write([]byte("method not allowed"))
		hc.finish()
	}
}

// isModernRequest decides a POST's era. With a session id it is legacy
// unless the body carries the modern _meta protocol version (a modern
// client ignores session ids; a legacy one with a bad version header gets
// 400). Without one it is modern when it names a version in the header or
// carries _meta, unless it has no _meta and the header names a legacy
// version (a legacy initialize carrying the header).
func isModernRequest(pv, sid []byte, m *codec.Message) bool {
	if sid != nil {
		// A session's requests are legacy unless _meta names the modern
		// version. Params that hold neither that key's text nor any escape
		// cannot, which spares the walk on every legacy request.
		if !bytes.Contains(m.Params, []byte(metaProtocolVersionKey)) && bytes.IndexByte(m.Params, '\\') < 0 {
			return false
		}
		meta, _ := m.Index().Field(m.Params, "_meta")
		_, ok := m.Index().Field(meta, metaProtocolVersionKey)
		return ok
	}
	if pv != nil && !isLegacyVersion(pv) {
		return true // the header names a version that is not legacy
	}
	_, hasMeta := m.Index().Field(m.Params, "_meta")
	return hasMeta
}

const metaProtocolVersionKey = "io.modelcontextprotocol/protocolVersion"

func isLegacyVersion(v []byte) bool {
	switch string(v) {
	case "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05":
		return true
	}
	return false
}

func (st *httpState) servePost(hc *httpConn, req *http1.Request) {
	if !isJSONContentType(req.Known(http1.FieldContentType)) {
		hc.writeJSONError(415, nil, codec.CodeInvalidRequest, "Content-Type must be application/json", nil)
		return
	}
	sse, json := acceptMedia(req.Known(http1.FieldAccept))
	if !sse && !json {
		hc.writeJSONError(406, nil, codec.CodeInvalidRequest, "Accept must include application/json or text/event-stream", nil)
		return
	}
	l := hc.l
	l.msg.Reset()
	if err := l.dec.Decode(req.Body(), &l.msg); err != nil {
		e, _ := err.(*codec.Error)
		if e == nil {
			e = &codec.Error{Code: codec.CodeParseError, Message: err.Error()}
		}
		hc.writeJSONError(400, e.ID, e.Code, e.Message, nil)
		return
	}
	m := &l.msg
	pv := req.Known(http1.FieldMcpProtocolVersion)
	sid := req.Known(http1.FieldMcpSessionID)
	initialize := m.Kind == codec.KindRequest && string(m.Method) == "initialize"
	if isModernRequest(pv, sid, m) {
		st.serveModern(hc, req, m, sse)
		return
	}
	if pv != nil && !isLegacyVersion(pv) {
		hc.writeJSONError(400, m.ID, codec.CodeInvalidRequest, "unsupported MCP-Protocol-Version: "+string(pv), nil)
		return
	}
	if initialize {
		if sid != nil {
			hc.writeJSONError(400, m.ID, codec.CodeInvalidRequest, "initialize must not carry Mcp-Session-Id", nil)
			return
		}
		st.initSession(hc, m, sse)
		return
	}
	if sid == nil {
		hc.writeJSONError(400, m.ID, codec.CodeInvalidRequest, "Bad Request: Mcp-Session-Id header is required", nil)
		return
	}
	st.toSession(hc, sid, m, sessionOp{kind: opPost, sse: sse, closeConn: hc.closeAfter})
}

// sessionOp is what a request asks of its legacy session; it runs on the
// session's owner loop. A value, not a closure, so the common case (the
// session lives on the connection's own loop) allocates nothing.
type sessionOp struct {
	kind      uint8
	sse       bool
	closeConn bool              // the request's Connection: close, read on hc's loop
	lastEvent []byte            // GET: Last-Event-ID
	principal *router.Principal // who the request acts for (nil: authorization off)
	noForward bool              // cluster: the session was adopted here, do not forward
}

const (
	opPost uint8 = iota
	opStream
	opDelete
	opModern // cluster: a modern request forwarded to the node its task names
)

func (op *sessionOp) run(hs *httpSession, hc *httpConn, m *codec.Message) {
	if hs.st.cfg.Auth != nil && !hs.owner.SameSubject(op.principal) {
		// Another user's token with this session's id: refused, never
		// served, and the session is left as it was.
		newExchange(hc, hs.l, false).writeError(403, msgID(m), codec.CodeInvalidRequest, "Forbidden: this session belongs to another user")
		return
	}
	hs.sess.SetPrincipal(op.principal)
	switch op.kind {
	case opPost:
		hs.post(hc, m, op.sse, op.closeConn)
	case opStream:
		hs.openStream(hc, op.lastEvent)
	case opDelete:
		hs.terminate(hc, op.closeConn)
	}
}

// toSession runs op on the loop that owns session sid, with the message
// (nil for GET/DELETE) copied when it must cross loops; an unknown session
// gets 404. hc is busy until the exchange that op starts finishes.
func (st *httpState) toSession(hc *httpConn, sid []byte, m *codec.Message, op sessionOp) {
	op.principal = hc.principal
	if st.srv.cluster != nil && !op.noForward && !st.srv.holds(sid) {
		if _, remote := hc.c.(*remoteConn); !remote {
			st.forward(hc, sid, m, op) // held by another node
			return
		}
	}
	owner := st.srv.ownerOf(sid)
	if owner == nil {
		st.missing(hc, sid, m, op)
		return
	}
	if owner == hc.l {
		// A connection usually carries one session: keep the last one and
		// skip the loop's session map while it is the same and alive.
		hs := hc.session
		if hs == nil || hs.ended || hs.id != string(sid) {
			if hs = owner.sessions[string(sid)]; hs == nil {
				st.missing(hc, sid, m, op)
				return
			}
			hc.session = hs
		}
		hc.busy = true
		hc.target = target{owner: owner, sid: hs.id} // post sets target.id
		op.run(hs, hc, m)
		return
	}
	hc.busy = true
	hc.target = target{owner: owner, sid: string(sid)}
	var cm *codec.Message
	if m != nil {
		cm = copyMessage(m)
		if m.Kind == codec.KindRequest {
			hc.target.id = bytes.Clone(m.ID)
		}
	}
	key := hc.target.sid
	op2 := op // only this copy escapes to the closure; op stays on the stack
	err := owner.shard.Post(func() {
		hs := owner.sessions[key]
		if hs == nil {
			st.missingAway(hc, owner, key, cm, op2)
			return
		}
		op2.run(hs, hc, cm)
	})
	if err != nil {
		hc.busy = false
		hc.writeSimple(503, "server stopping", true)
	}
}

// target names the exchange a busy connection waits for, so a closed
// connection can tell the owning loop to stop writing to it.
type target struct {
	owner *loop
	sid   string
	id    []byte // raw request id, nil for GET/DELETE and notifications (on hc's own loop, the exchange's key)
}

func msgID(m *codec.Message) []byte {
	if m == nil {
		return nil
	}
	return m.ID
}

// copyMessage copies a decoded message out of loop-owned buffers.
func copyMessage(m *codec.Message) *codec.Message {
	c := &codec.Message{Kind: m.Kind}
	c.ID = bytes.Clone(m.ID)
	c.Method = bytes.Clone(m.Method)
	c.Params = bytes.Clone(m.Params)
	c.Result = bytes.Clone(m.Result)
	c.Error = bytes.Clone(m.Error)
	return c
}

// ownerOf returns the loop owning session id: derived from the id itself
// with xxhash, so no shared map is consulted.
func (s *Server) ownerOf(sid []byte) *loop {
	return s.loopByIndex(shards.Index(sid, len(s.shards)))
}

// newSessionID returns a crypto-random id owned by loop l; in a cluster it
// names this node: "<node>.<hex>".
func (s *Server) newSessionID(l *loop) string {
	var b [16]byte
	var prefix string
	if s.cluster != nil {
		prefix = s.cluster.NodeID() + "."
	}
	for {
		if _, err := rand.Read(b[:]); err != nil {
			panic("BUG: crypto/rand failed: " + err.Error())
		}
		id := prefix + hex.EncodeToString(b[:])
		if s.ownerOf([]byte(id)) == l {
			return id
		}
	}
}

func (st *httpState) initSession(hc *httpConn, m *codec.Message, sse bool) {
	if st.sessions.Load() >= int64(st.cfg.MaxSessions) {
		hc.l.stats.sessionsRefused++
		st.srv.limitReached(limitSessions, "session limit reached: refusing initialize with 503", "max_sessions", st.cfg.MaxSessions)
		hc.writeHead(503, "application/json", 0, [][2]string{{"Retry-After", "1"}})
		hc.finish()
		return
	}
	if Stage(st.srv.stage.Load()) >= StageRefuseConnections {
		// The overload manager refuses new sessions for memory.
		hc.l.stats.sessionsRefused++
		hc.writeHead(503, "application/json", 0, [][2]string{{"Retry-After", "1"}})
		hc.finish()
		return
	}
	l := hc.l
	id := st.srv.newSessionID(l)
	hs := newHTTPSession(st, l, id)
	hs.owner = hc.principal
	hs.sess.SetPrincipal(hc.principal)
	l.sessions[id] = hs
	l.stats.sessionsCreated++
	st.sessions.Add(1)
	hc.busy = true
	hc.target = target{owner: l, sid: id} // post sets target.id
	hs.post(hc, m, sse, hc.closeAfter)
}

func (st *httpState) serveGet(hc *httpConn, req *http1.Request) {
	sid := req.Known(http1.FieldMcpSessionID)
	pv := req.Known(http1.FieldMcpProtocolVersion)
	if sid == nil || (pv != nil && !isLegacyVersion(pv)) {
		// The modern era has no GET stream.
		hc.writeHead(405, "text/plain", 0, [][2]string{{"Allow", "POST"}})
		hc.finish()
		return
	}
	if sse, _ := acceptMedia(req.Known(http1.FieldAccept)); !sse {
		hc.writeSimple(406, "Accept must include text/event-stream", false)
		return
	}
	st.toSession(hc, sid, nil, sessionOp{kind: opStream, lastEvent: bytes.Clone(req.Known(http1.FieldLastEventID))})
}

func (st *httpState) serveDelete(hc *httpConn, req *http1.Request) {
	sid := req.Known(http1.FieldMcpSessionID)
	if sid == nil {
		hc.writeHead(405, "text/plain", 0, [][2]string{{"Allow", "POST"}})
		hc.finish()
		return
	}
	st.toSession(hc, sid, nil, sessionOp{kind: opDelete, closeConn: hc.closeAfter})
}

// serveModern answers a stateless 2026-07-28 request on this loop.
func (st *httpState) serveModern(hc *httpConn, req *http1.Request, m *codec.Message, sse bool) {
	if m.Kind != codec.KindRequest {
		// Notifications and responses: accepted, nothing to answer.
		hc.writeHead(202, "", 0, nil)
		hc.finish()
		return
	}
	hdr := modernHeaders{
		method:  req.Known(http1.FieldMcpMethod),
		version: req.Known(http1.FieldMcpProtocolVersion),
		name:    req.Known(http1.FieldMcpName),
	}
	if code, msg := checkModernHeaders(req, hdr, m, st.srv.r, hc.l.shard, &hc.l.unq); code != 0 {
		hc.writeJSONError(400, m.ID, code, msg, nil)
		return
	}
	if st.srv.cluster != nil && st.forwardTask(hc, m, sse) {
		return
	}
	st.runModern(hc, m, sse)
}

// runModern hands a checked modern request to the router on hc's loop.
func (st *httpState) runModern(hc *httpConn, m *codec.Message, sse bool) {
	l := hc.l
	ex := l.getModernExchange(hc, sse)
	ex.closeConn = hc.closeAfter
	ex.id = m.ID // the loop's message lives until Handle returns
	ex.session.SetPrincipal(hc.principal)
	hc.busy = true
	hc.ex = ex
	st.srv.r.Handle(ex.session, m)
	if !ex.done {
		ex.id = bytes.Clone(m.ID)
		return
	}
	l.putModernExchange(ex)
}

// headerSource looks a request header up by name (nil when absent): the
// gnet transport's parsed request, or net/http's (nethttp.go).
type headerSource interface {
	Header(name string) []byte
}

// modernHeaders are the fields of a modern request that checkModernHeaders
// compares with its body, looked up by the transport (the gnet one through
// its parser's index, without matching names).
type modernHeaders struct {
	method  []byte // Mcp-Method
	version []byte // MCP-Protocol-Version
	name    []byte // Mcp-Name
}

// checkModernHeaders checks the modern era's request headers h against the
// body (400 with HeaderMismatch on disagreement), the Mcp-Param-* headers
// of a tools/call too (paramheaders.go, looked up in req), with tool
// headers looked up in r's catalog on shard sh. scratch holds unquoted
// values.
func checkModernHeaders(req headerSource, h modernHeaders, m *codec.Message, r *router.Router, sh *shards.Shard, scratch *[]byte) (int, string) {
	method := h.method
	if method == nil {
		return codec.CodeHeaderMismatch, "missing Mcp-Method header"
	}
	if !bytes.Equal(method, m.Method) {
		return codec.CodeHeaderMismatch, "Mcp-Method header does not match the body's method"
	}
	var field string
	switch string(m.Method) {
	case "tools/call", "prompts/get":
		field = "name"
	case "resources/read":
		field = "uri"
	case "tasks/get", "tasks/update", "tasks/cancel":
		field = "taskId" // SEP-2663: Mcp-Name carries the task id
	}
	// One walk over params for _meta, the named member and the arguments.
	var meta, named, args []byte
	idx := m.Index() // params and _meta as the decoder recorded them
	idx.Each(m.Params, func(k, v []byte) bool {
		switch string(k) {
		case "_meta":
			meta = v
		case "arguments":
			args = v
		case field:
			if field != "" {
				named = v
			}
		}
		return true
	})
	if pv := h.version; pv != nil {
		v, ok := idx.Field(meta, metaProtocolVersionKey)
		if ok {
			body, err := stringText(v, scratch)
			if err == nil && !bytes.Equal(body, pv) {
				return codec.CodeHeaderMismatch, "MCP-Protocol-Version header does not match _meta"
			}
		}
	}
	if field == "" {
		return 0, ""
	}
	name := h.name
	if name == nil {
		return codec.CodeHeaderMismatch, "missing Mcp-Name header"
	}
	if named == nil {
		return 0, "" // the router reports the missing param
	}
	body, err := stringText(named, scratch)
	if err != nil || !bytes.Equal(decodeHeaderValue(name), body) {
		return codec.CodeHeaderMismatch, "Mcp-Name header does not match the body's " + field
	}
	if field == "name" && string(m.Method) == "tools/call" {
		if hp := r.ToolHeaderParams(sh, body); hp != nil {
			return checkParamHeaders(req, hp, args)
		}
	}
	return 0, ""
}

// decodeHeaderValue undoes the spec's Base64 sentinel encoding of header
// values that are not plain ASCII: "=?base64?<data>?=".
func decodeHeaderValue(v []byte) []byte {
	const pre, post = "=?base64?", "?="
	if !bytes.HasPrefix(v, []byte(pre)) || !bytes.HasSuffix(v, []byte(post)) {
		return v
	}
	return decodeBase64(v[len(pre) : len(v)-len(post)])
}

// finish ends the current exchange on hc: the next pipelined request may
// be parsed. Loop goroutine of hc.
func (hc *httpConn) finish() {
	hc.busy = false
	hc.cors = ""
	hc.ex = nil
	hc.target = target{}
	if rc, ok := hc.c.(*remoteConn); ok {
		rc.done(hc.closeAfter) // a forwarded request: its node reads the next
		return
	}
	if hc.closeAfter {
		hc.closing = true
		if !hc.inTraffic {
			if hc.polite {
				hc.l.srv.lingerHTTP(hc)
			} else {
				_ = hc.c.Close()
			}
		}
		return
	}
	if !hc.inTraffic && hc.c.InboundBuffered() > 0 {
		_ = hc.c.Wake(nil)
	}
}

// writeHead writes a response head; contentType "" means no body.
func (hc *httpConn) writeHead(status int, contentType string, length int, extra [][2]string) {
	b := hc.l.wbuf[:0]
	b = http1.AppendStatusLine(b, status)
	if contentType != "" {
		b = http1.AppendHeader(b, "Content-Type", contentType)
	}
	if status != 204 && status != 100 {
		b = http1.AppendContentLength(b, length)
	}
	for _, h := range extra {
		b = http1.AppendHeader(b, h[0], h[1])
	}
	b = appendCORS(b, hc.cors)
	if hc.closeAfter {
		b = http1.AppendHeader(b, "Connection", "close")
	}
	b = append(b, "\r\n"...)
	hc.write(b)
	hc.l.wbuf = b[:0]
}

// writeSimple answers a plain-text status and ends the exchange.
func (hc *httpConn) writeSimple(status int, text string, closeConn bool) {
	if closeConn {
		hc.closeAfter = true
	}
	hc.writeHead(status, "text/plain; charset=utf-8", len(text), nil)
	hc.write([]byte(text))
	hc.finish()
}

// writeJSONError answers a JSON-RPC error with an HTTP status.
func (hc *httpConn) writeJSONError(status int, id []byte, code int, msg string, data []byte) {
	body := codec.AppendError(nil, id, code, msg, data)
	hc.writeHead(status, "application/json", len(body), nil)
	hc.write(body)
	hc.finish()
}

// markSSE registers hc for heartbeats.
func (hc *httpConn) markSSE() {
	hc.lastWrite = time.Now().UnixNano()
	hc.l.sse[hc] = struct{}{}
}

var _ router.Transport = (*exchange)(nil)

// write sends b on hc. While OnTraffic runs, answers to pipelined requests
// collect in the loop's batch and leave in one write(2) when it ends (the
// same batching the NDJSON transport does). Loop goroutine of hc.
func (hc *httpConn) write(b []byte) {
	if hc.inTraffic {
		hc.l.batch = append(hc.l.batch, b...)
		if len(hc.l.batch) >= batchFlushBytes {
			hc.flush()
		}
		return
	}
	_, _ = hc.c.Write(b)
	hc.l.wrote(len(b))
}

// flush writes the batch collected during OnTraffic and applies the
// slow-consumer rule.
func (hc *httpConn) flush() {
	l := hc.l
	if len(l.batch) == 0 {
		return
	}
	_, _ = hc.c.Write(l.batch)
	l.wrote(len(l.batch))
	l.batch = l.batch[:0]
	n := hc.c.OutboundBuffered()
	if n > l.srv.cfg.MaxOutboundBytes {
		l.closedBy(hc.c, CloseSlowConsumer)
		hc.closing = true
		return
	}
	l.noteOutbound(hc, n)
}
