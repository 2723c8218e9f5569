package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/textproto"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/router"
	"github.com/densemcp/densemcp/shards"
)

// NetHTTP serves Streamable HTTP, both eras, as a net/http Handler: for
// programs that mount MCP on a mux they already have, behind their own TLS,
// authentication and routing. It is the compatible path. The router is the
// same as on the gnet loops; the state lives on shards of its own, one
// goroutine each (a legacy session on the shard its id maps to, a modern
// request on any), and each request's own goroutine — net/http's model —
// waits for its messages and writes them. Costs per call are in
// perf/RESULTS.md beside the gnet path's.
//
// Differences from the gnet transport: the host program's http.Server owns
// header limits, timeouts and connection counts; SSE replay (Last-Event-ID,
// HTTPConfig.ReplayEvents) is not offered, so CloseStream does nothing; the
// mux, not HTTPConfig.Endpoint, decides which path reaches the handler.
type NetHTTP struct {
	r        *router.Router
	on, off  HTTPConfig // Host/Origin checks on, off
	auto     bool       // HostCheck unset: on for requests on a loopback address
	maxOut   int
	log      *slog.Logger
	shards   []*netShard
	next     atomic.Uint32 // round robin of modern requests
	authNext atomic.Uint32 // round robin of the shards' token caches
	sessions atomic.Int64  // live legacy sessions, for MaxSessions
	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
}

// netInboxSize bounds the tasks waiting for one shard goroutine; a request
// that finds it full gets 503.
const netInboxSize = 1 << 16

// netShard is one shard of the net/http transport and its goroutine.
type netShard struct {
	h        *NetHTTP
	in       *shards.Inbox
	sh       *shards.Shard
	sessions map[string]*netSession // shard goroutine only
	authMu   sync.Mutex             // guards the Authorizer's cache of this shard's index
}

// NewNetHTTP returns a net/http transport for router r, its shards
// attached to r at once. cfg.Loops shards (default GOMAXPROCS); of the
// rest, MaxOutboundBytes bounds what waits for one slow client and
// cfg.HTTP the endpoint's rules. Close stops it.
func NewNetHTTP(r *router.Router, cfg Config, log *slog.Logger) *NetHTTP {
	cfg.setDefaults()
	if cfg.Loops <= 0 {
		cfg.Loops = runtime.GOMAXPROCS(0)
	}
	if log == nil {
		log = slog.Default()
	}
	h := &NetHTTP{r: r, maxOut: cfg.MaxOutboundBytes, log: log, stop: make(chan struct{})}
	hc := cfg.HTTP
	h.auto = hc.HostCheck == nil
	on, off := true, false
	h.on, h.off = hc, hc
	h.on.HostCheck, h.off.HostCheck = &on, &off
	h.on.setDefaults("")
	h.off.setDefaults("")
	if !h.auto && !*hc.HostCheck {
		h.on = h.off
	}
	h.shards = make([]*netShard, cfg.Loops)
	for i := range h.shards {
		in := shards.NewInbox(netInboxSize)
		ns := &netShard{h: h, in: in, sh: r.NewShard(in), sessions: make(map[string]*netSession)}
		h.shards[i] = ns
		h.wg.Add(1)
		go ns.run()
	}
	h.wg.Add(1)
	go h.sweep()
	return h
}

// run executes the shard's tasks until Close.
func (ns *netShard) run() {
	defer ns.h.wg.Done()
	for {
		select {
		case fn := <-ns.in.C:
			fn()
		case <-ns.h.stop:
			ns.in.Close()
			// Tasks the inbox accepted before it closed still run: a
			// request goroutine may be waiting for one's verdict (a
			// DELETE), and a handler's answer may be among them.
			for len(ns.in.C) > 0 {
				(<-ns.in.C)()
			}
			for _, s := range ns.sessions {
				s.end()
			}
			return
		}
	}
}

// sweep evicts idle legacy sessions, once a second.
func (h *NetHTTP) sweep() {
	defer h.wg.Done()
	t := time.NewTicker(tickInterval)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
			for _, ns := range h.shards {
				_ = ns.in.Execute(ns.evictIdle) // a full inbox: the next tick sweeps
			}
		}
	}
}

func (ns *netShard) evictIdle() {
	ttl := ns.h.on.SessionIdleTTL
	now := time.Now()
	for _, s := range ns.sessions {
		if len(s.exchanges) == 0 && len(s.streams) == 0 && now.Sub(s.lastActive) > ttl {
			s.end()
		}
	}
}

// Close ends every session and stops the shard goroutines; requests still
// waiting see their streams end.
func (h *NetHTTP) Close() {
	h.stopOnce.Do(func() { close(h.stop) })
	h.wg.Wait()
}

// netHeaders looks headers up as the shared checks want them: nil when
// absent.
type netHeaders http.Header

func (nh netHeaders) Header(name string) []byte {
	v := nh[textproto.CanonicalMIMEHeaderKey(name)]
	if len(v) == 0 {
		return nil
	}
	return []byte(v[0])
}

// configFor returns the rules for request r: with HostCheck unset, Host and
// Origin are checked when the request arrived on a loopback address, as
// the gnet transport checks them on loopback binds.
func (h *NetHTTP) configFor(r *http.Request) *HTTPConfig {
	if !h.auto {
		return &h.on
	}
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok && isLoopbackAddr(a.String()) {
		return &h.on
	}
	return &h.off
}

// ServeHTTP implements http.Handler.
func (h *NetHTTP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cfg := h.configFor(r)
	hdr := netHeaders(r.Header)
	if cfg.Auth != nil && serveWellKnownNet(w, r, cfg) {
		return
	}
	if !cfg.hostAllowed([]byte(r.Host)) || !cfg.originAllowed(hdr.Header("Origin")) {
		http.Error(w, "forbidden: Host or Origin not allowed", http.StatusForbidden)
		return
	}
	if o := cfg.corsOrigin(hdr.Header("Origin")); o != "" {
		fields := withCORS(o)
		if r.Method == http.MethodOptions {
			fields = append(fields, corsPreflight(func(name string, fn func(v []byte) bool) {
				for _, v := range r.Header.Values(name) {
					if !fn([]byte(v)) {
						return
					}
				}
			})...)
		}
		for _, kv := range fields {
			w.Header().Add(kv[0], kv[1])
		}
	}
	// Every MCP request is authorized before its era, version or session
	// is looked at (CORS preflights carry no credentials).
	var p *router.Principal
	if cfg.Auth != nil && r.Method != http.MethodOptions {
		if p = h.authorizeNet(w, r, cfg); p == nil {
			return
		}
	}
	switch r.Method {
	case http.MethodPost:
		h.servePost(w, r, cfg, hdr, p)
	case http.MethodGet:
		h.serveGet(w, r, cfg, hdr, p)
	case http.MethodDelete:
		h.serveDelete(w, hdr, p)
	case http.MethodOptions:
		w.Header().Set("Allow", "GET, POST, DELETE, OPTIONS")
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("Allow", "GET, POST, DELETE, OPTIONS")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// acceptsHeader reports whether an Accept header admits mime (or is absent).
func acceptsHeader(a []byte, mime string) bool {
	if a == nil {
		return true
	}
	return bytesContains(a, mime) || bytesContains(a, "*/*")
}

func bytesContains(b []byte, s string) bool {
	for i := 0; i+len(s) <= len(b); i++ {
		if string(b[i:i+len(s)]) == s {
			return true
		}
	}
	return false
}

// writeJSONError answers a JSON-RPC error with an HTTP status.
func writeJSONError(w http.ResponseWriter, status int, id []byte, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(codec.AppendError(nil, id, code, msg, nil))
}

func (h *NetHTTP) servePost(w http.ResponseWriter, r *http.Request, cfg *HTTPConfig, hdr netHeaders, p *router.Principal) {
	ct := hdr.Header("Content-Type")
	if !hasPrefixTrim(ct, "application/json") {
		writeJSONError(w, http.StatusUnsupportedMediaType, nil, codec.CodeInvalidRequest, "Content-Type must be application/json")
		return
	}
	accept := hdr.Header("Accept")
	sse := acceptsHeader(accept, "text/event-stream")
	if !sse && !acceptsHeader(accept, "application/json") {
		writeJSONError(w, http.StatusNotAcceptable, nil, codec.CodeInvalidRequest, "Accept must include application/json or text/event-stream")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(cfg.MaxBodyBytes)))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read the request body", http.StatusBadRequest)
		return
	}
	var dec codec.Decoder
	var m codec.Message
	if err := dec.Decode(body, &m); err != nil {
		e, _ := err.(*codec.Error)
		if e == nil {
			e = &codec.Error{Code: codec.CodeParseError, Message: err.Error()}
		}
		writeJSONError(w, http.StatusBadRequest, e.ID, e.Code, e.Message)
		return
	}
	pv := hdr.Header("MCP-Protocol-Version")
	sid := hdr.Header("Mcp-Session-Id")
	if isModernRequest(pv, sid, &m) {
		h.serveModern(w, r, cfg, hdr, &m, sse, p)
		return
	}
	if pv != nil && !isLegacyVersion(pv) {
		writeJSONError(w, http.StatusBadRequest, m.ID, codec.CodeInvalidRequest, "unsupported MCP-Protocol-Version: "+string(pv))
		return
	}
	if m.Kind == codec.KindRequest && string(m.Method) == "initialize" {
		if sid != nil {
			writeJSONError(w, http.StatusBadRequest, m.ID, codec.CodeInvalidRequest, "initialize must not carry Mcp-Session-Id")
			return
		}
		h.initSession(w, r, cfg, &m, sse, p)
		return
	}
	if sid == nil {
		writeJSONError(w, http.StatusBadRequest, m.ID, codec.CodeInvalidRequest, "Bad Request: Mcp-Session-Id header is required")
		return
	}
	h.postToSession(w, r, cfg, string(sid), &m, sse, p)
}

func hasPrefixTrim(b []byte, prefix string) bool {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return len(b) >= len(prefix) && string(b[:len(prefix)]) == prefix
}

// pick returns the shard for a modern request: round robin.
func (h *NetHTTP) pick() *netShard {
	return h.shards[int(h.next.Add(1))%len(h.shards)]
}

// ownerOf returns the shard of legacy session sid.
func (h *NetHTTP) ownerOf(sid string) *netShard {
	return h.shards[shards.Index([]byte(sid), len(h.shards))]
}

// serveModern answers a stateless 2026-07-28 request.
func (h *NetHTTP) serveModern(w http.ResponseWriter, r *http.Request, cfg *HTTPConfig, hdr netHeaders, m *codec.Message, sse bool, p *router.Principal) {
	if m.Kind != codec.KindRequest {
		w.WriteHeader(http.StatusAccepted)
		return
	}
	ns := h.pick()
	var scratch []byte
	mh := modernHeaders{
		method:  hdr.Header("Mcp-Method"),
		version: hdr.Header("MCP-Protocol-Version"),
		name:    hdr.Header("Mcp-Name"),
	}
	if code, msg := checkModernHeaders(hdr, mh, m, h.r, ns.sh, &scratch); code != 0 {
		writeJSONError(w, http.StatusBadRequest, m.ID, code, msg)
		return
	}
	x := newNetExchange(h, sse)
	x.modern, x.id = true, m.ID
	err := ns.in.Execute(func() {
		x.session = h.r.NewRequestSession(ns.sh, x)
		x.session.SetTransport(router.TransportHTTP, "")
		x.session.SetPrincipal(p)
		h.r.Handle(x.session, m)
	})
	if err != nil {
		http.Error(w, "server busy", http.StatusServiceUnavailable)
		return
	}
	x.serve(w, r, cfg, func() {
		_ = shards.ExecuteWait(context.Background(), ns.in, func() { x.session.Close() })
	})
}

// initSession creates a legacy session and runs its initialize.
func (h *NetHTTP) initSession(w http.ResponseWriter, r *http.Request, cfg *HTTPConfig, m *codec.Message, sse bool, p *router.Principal) {
	// The slot is taken here, before the shard creates the session:
	// checked here and counted there, concurrent initializes all passed
	// the check and went past MaxSessions together.
	if h.sessions.Add(1) > int64(cfg.MaxSessions) {
		h.sessions.Add(-1)
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("BUG: crypto/rand failed: " + err.Error())
	}
	id := hex.EncodeToString(b[:])
	ns := h.ownerOf(id)
	x := newNetExchange(h, sse)
	x.header = [2]string{"Mcp-Session-Id", id}
	err := ns.in.Execute(func() {
		s := &netSession{ns: ns, id: id, owner: p, exchanges: make(map[string]*netExchange), lastActive: time.Now()}
		s.sess = h.r.NewSession(ns.sh, s)
		s.sess.SetTransport(router.TransportHTTP, id)
		s.sess.SetPrincipal(p)
		ns.sessions[id] = s
		s.exchanges[string(m.ID)] = x
		h.r.Handle(s.sess, m)
	})
	if err != nil {
		h.sessions.Add(-1) // no session was made
		http.Error(w, "server busy", http.StatusServiceUnavailable)
		return
	}
	x.serve(w, r, cfg, func() { ns.forgetLater(id, string(m.ID), x) })
}

// postToSession runs one POSTed message of legacy session sid.
func (h *NetHTTP) postToSession(w http.ResponseWriter, r *http.Request, cfg *HTTPConfig, sid string, m *codec.Message, sse bool, p *router.Principal) {
	ns := h.ownerOf(sid)
	x := newNetExchange(h, sse)
	key := string(m.ID)
	err := ns.in.Execute(func() {
		s := ns.sessions[sid]
		switch {
		case s == nil:
			x.fail(http.StatusNotFound, codec.AppendError(nil, m.ID, codec.CodeInvalidRequest, "session not found", nil))
			return
		case !s.ownedBy(p, x, m.ID):
			return
		case m.Kind != codec.KindRequest:
			s.lastActive = time.Now()
			h.r.Handle(s.sess, m)
			x.fail(http.StatusAccepted, nil)
			return
		case s.exchanges[key] != nil:
			x.fail(http.StatusBadRequest, codec.AppendError(nil, m.ID, codec.CodeInvalidRequest, "a request with this id is already running on this session", nil))
			return
		}
		s.lastActive = time.Now()
		s.exchanges[key] = x
		h.r.Handle(s.sess, m)
	})
	if err != nil {
		http.Error(w, "server busy", http.StatusServiceUnavailable)
		return
	}
	x.serve(w, r, cfg, func() { ns.forgetLater(sid, key, x) })
}

// serveGet opens a legacy session's stream of server→client messages.
func (h *NetHTTP) serveGet(w http.ResponseWriter, r *http.Request, cfg *HTTPConfig, hdr netHeaders, p *router.Principal) {
	sid := hdr.Header("Mcp-Session-Id")
	pv := hdr.Header("MCP-Protocol-Version")
	if sid == nil || (pv != nil && !isLegacyVersion(pv)) {
		w.Header().Set("Allow", "POST")
		w.WriteHeader(http.StatusMethodNotAllowed) // the modern era has no GET stream
		return
	}
	if !acceptsHeader(hdr.Header("Accept"), "text/event-stream") {
		http.Error(w, "Accept must include text/event-stream", http.StatusNotAcceptable)
		return
	}
	id := string(sid)
	ns := h.ownerOf(id)
	x := newNetExchange(h, true)
	x.stream = true
	err := ns.in.Execute(func() {
		s := ns.sessions[id]
		if s == nil {
			x.fail(http.StatusNotFound, codec.AppendError(nil, nil, codec.CodeInvalidRequest, "session not found", nil))
			return
		}
		if !s.ownedBy(p, x, nil) {
			return
		}
		s.lastActive = time.Now()
		s.streams = append(s.streams, x)
		x.open()
	})
	if err != nil {
		http.Error(w, "server busy", http.StatusServiceUnavailable)
		return
	}
	x.serve(w, r, cfg, func() { ns.forgetLater(id, "", x) })
}

// serveDelete ends a legacy session.
func (h *NetHTTP) serveDelete(w http.ResponseWriter, hdr netHeaders, p *router.Principal) {
	sid := hdr.Header("Mcp-Session-Id")
	if sid == nil {
		w.Header().Set("Allow", "POST")
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	id := string(sid)
	ns := h.ownerOf(id)
	found := make(chan int, 1)
	err := ns.in.Execute(func() {
		s := ns.sessions[id]
		switch {
		case s == nil:
			found <- http.StatusNotFound
		case h.on.Auth != nil && !s.owner.SameSubject(p):
			found <- http.StatusForbidden // another user's token: the session stays
		default:
			s.end()
			found <- http.StatusOK
		}
	})
	if err != nil {
		http.Error(w, "server busy", http.StatusServiceUnavailable)
		return
	}
	switch <-found {
	case http.StatusNotFound:
		writeJSONError(w, http.StatusNotFound, nil, codec.CodeInvalidRequest, "session not found")
		return
	case http.StatusForbidden:
		writeJSONError(w, http.StatusForbidden, nil, codec.CodeInvalidRequest, "Forbidden: this session belongs to another user")
		return
	}
	w.WriteHeader(http.StatusOK)
}

// forgetLater has the shard forget exchange x of session sid, whose client
// went away. Request goroutine: it waits while the inbox is full, since
// nothing else forgets x (a stream left registered would take the
// session's messages to a client that is gone), and gives up only when
// the shard has stopped.
func (ns *netShard) forgetLater(sid, key string, x *netExchange) {
	_ = shards.ExecuteWait(context.Background(), ns.in, func() { ns.forget(sid, key, x) })
}

// forget drops exchange x of session sid (a POST whose client went away,
// key its request id, or a GET stream, key ""). Shard goroutine.
func (ns *netShard) forget(sid, key string, x *netExchange) {
	s := ns.sessions[sid]
	if s == nil {
		return
	}
	s.lastActive = time.Now()
	if key != "" {
		if s.exchanges[key] == x {
			delete(s.exchanges, key)
		}
		return
	}
	for i, st := range s.streams {
		if st == x {
			s.streams = append(s.streams[:i], s.streams[i+1:]...)
			return
		}
	}
}

// netSession is a legacy session of the net/http transport; it lives on
// its shard's goroutine.
type netSession struct {
	ns         *netShard
	id         string
	sess       *router.Session
	owner      *router.Principal       // who opened it (nil: authorization off)
	exchanges  map[string]*netExchange // running POSTs by raw request id
	streams    []*netExchange          // GET streams
	next       int                     // round robin over streams
	lastActive time.Time
}

// Send implements router.Transport: an answer or a message related to a
// request goes on that request's POST; anything else (or a related message
// whose POST has ended) on one GET stream. There is no replay on this
// transport, so CloseStream does nothing.
func (s *netSession) Send(kind router.MsgKind, related, msg []byte) {
	if kind == router.MsgCloseStream {
		return
	}
	if kind != router.MsgUnrelated && related != nil {
		if x := s.exchanges[string(related)]; x != nil {
			x.push(kind, msg)
			if kind.Final() {
				delete(s.exchanges, string(related))
			}
			return
		}
		if kind.Final() {
			return // the asking client is gone
		}
	}
	if len(s.streams) == 0 {
		return
	}
	x := s.streams[s.next%len(s.streams)]
	s.next++
	x.push(router.MsgRelated, msg)
}

// end removes the session: its handlers are cancelled, its requests and
// streams end. Shard goroutine.
func (s *netSession) end() {
	s.sess.Close()
	for k, x := range s.exchanges {
		x.end()
		delete(s.exchanges, k)
	}
	for _, x := range s.streams {
		x.end()
	}
	s.streams = nil
	if s.ns.sessions[s.id] == s {
		delete(s.ns.sessions, s.id)
		s.ns.h.sessions.Add(-1)
	}
}

// netExchange carries the messages of one request (or GET stream) from the
// shard goroutine to the request's goroutine, which writes them: a JSON
// body when the answer is the first message, else an SSE stream. Bounded:
// past maxOut bytes waiting, the client is too slow and its stream ends.
type netExchange struct {
	h      *NetHTTP
	sse    bool // the client accepts text/event-stream
	modern bool
	stream bool      // a GET stream
	id     []byte    // modern: the request id, for the answer's status
	header [2]string // an extra response header (Mcp-Session-Id), if set
	// session is a modern request's own session (shard goroutine only).
	session *router.Session

	mu       sync.Mutex
	msgs     []netMsg
	bytes    int
	answered bool // the answer (or a failure) was queued
	ended    bool // the session or stream ended
	overflow bool
	isOpen   bool // a GET stream was accepted
	status   int  // fail: the status to answer with
	wake     chan struct{}
}

type netMsg struct {
	kind router.MsgKind
	b    []byte
}

func newNetExchange(h *NetHTTP, sse bool) *netExchange {
	return &netExchange{h: h, sse: sse, wake: make(chan struct{}, 1)}
}

func (x *netExchange) signal() {
	select {
	case x.wake <- struct{}{}:
	default:
	}
}

// Send implements router.Transport for a modern request's session.
// Shard goroutine.
func (x *netExchange) Send(kind router.MsgKind, _, msg []byte) {
	if kind == router.MsgCloseStream {
		return
	}
	x.push(kind, msg)
	if kind.Final() && x.session != nil {
		x.session.Close()
	}
}

// push queues a copy of msg. Shard goroutine.
func (x *netExchange) push(kind router.MsgKind, msg []byte) {
	x.mu.Lock()
	switch {
	case x.answered || x.ended || x.overflow:
	case !x.sse && !kind.Final():
		// A client that accepts only JSON gets only the answer.
	case x.bytes > 0 && x.bytes+len(msg) > x.h.maxOut:
		x.overflow = true // a slow consumer: its stream ends
	default:
		x.msgs = append(x.msgs, netMsg{kind: kind, b: append([]byte(nil), msg...)})
		x.bytes += len(msg)
		if kind.Final() {
			x.answered = true
		}
	}
	x.mu.Unlock()
	x.signal()
}

// fail answers with status and body (nil: no body) instead of routing.
func (x *netExchange) fail(status int, body []byte) {
	x.mu.Lock()
	x.status = status
	x.msgs = append(x.msgs, netMsg{kind: router.MsgResponse, b: body})
	x.answered = true
	x.mu.Unlock()
	x.signal()
}

// open accepts a GET stream.
func (x *netExchange) open() {
	x.mu.Lock()
	x.isOpen = true
	x.mu.Unlock()
	x.signal()
}

// end ends the exchange: its session or stream is gone.
func (x *netExchange) end() {
	x.mu.Lock()
	x.ended = true
	x.mu.Unlock()
	x.signal()
}

// take returns what is queued.
func (x *netExchange) take() (msgs []netMsg, status int, ended, overflow, open bool) {
	x.mu.Lock()
	msgs, x.msgs = x.msgs, nil
	x.bytes = 0
	status, ended, overflow, open = x.status, x.ended, x.overflow, x.isOpen
	x.mu.Unlock()
	return
}

// serve writes the exchange's messages until its answer, its end, or the
// client's going away (then gone runs). Request goroutine.
func (x *netExchange) serve(w http.ResponseWriter, r *http.Request, cfg *HTTPConfig, gone func()) {
	fl, _ := w.(http.Flusher)
	started := false
	var hb *time.Ticker
	var heartbeat <-chan time.Time
	defer func() {
		if hb != nil {
			hb.Stop()
		}
	}()
	// startSSE writes the head of an event stream; idle streams get a
	// comment every Heartbeat so proxies and clients see them alive.
	startSSE := func() {
		started = true
		hd := w.Header()
		hd.Set("Content-Type", "text/event-stream")
		hd.Set("Cache-Control", "no-cache")
		if x.header[0] != "" {
			hd.Set(x.header[0], x.header[1])
		}
		w.WriteHeader(http.StatusOK)
		hb = time.NewTicker(cfg.Heartbeat)
		heartbeat = hb.C
	}
	for {
		select {
		case <-x.wake:
		case <-heartbeat:
			if _, err := io.WriteString(w, ": ping\n\n"); err != nil {
				gone()
				return
			}
			if fl != nil {
				fl.Flush()
			}
			continue
		case <-r.Context().Done():
			gone()
			return
		case <-x.h.stop:
			return
		}
		msgs, status, ended, overflow, open := x.take()
		if open && !started {
			startSSE()
			_, _ = io.WriteString(w, ": stream open\n\n")
		}
		for _, m := range msgs {
			if !started {
				if m.kind.Final() {
					if m.kind != router.MsgResponse {
						// A refusal: 503 or 429 with Retry-After.
						status = 503
						if m.kind == router.MsgOverShare {
							status = 429
						}
						w.Header().Set("Retry-After", retryAfterOf(m.b))
					} else if challenge, ok := scopeChallenge(cfg.Auth, m.b); ok {
						w.Header().Set("WWW-Authenticate", challenge)
						status = http.StatusForbidden
					}
					x.writeJSON(w, status, m.b)
					return
				}
				startSSE()
			}
			if err := writeSSEEvent(w, m.b); err != nil {
				gone()
				return
			}
			if m.kind.Final() {
				if fl != nil {
					fl.Flush()
				}
				return
			}
		}
		if overflow {
			x.h.log.Debug("closing a slow net/http client's stream", "reason", CloseSlowConsumer.String())
			gone()
			return
		}
		if ended {
			if !started {
				writeJSONError(w, http.StatusNotFound, x.id, codec.CodeInvalidRequest, "session ended")
			}
			return
		}
		if fl != nil && started {
			fl.Flush()
		}
	}
}

// writeJSON answers with one JSON body (no body when b is nil).
func (x *netExchange) writeJSON(w http.ResponseWriter, status int, b []byte) {
	if status == 0 {
		status = http.StatusOK
		if x.modern {
			status = modernStatus(x.id, b)
		}
	}
	hd := w.Header()
	if x.header[0] != "" {
		hd.Set(x.header[0], x.header[1])
	}
	if b == nil {
		w.WriteHeader(status)
		return
	}
	hd.Set("Content-Type", "application/json")
	hd.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeSSEEvent writes one message event. JSON-RPC messages hold no raw
// line breaks, so one data line carries it.
func writeSSEEvent(w io.Writer, msg []byte) error {
	b := make([]byte, 0, len(msg)+len("event: message\ndata: \n\n"))
	b = append(b, "event: message\ndata: "...)
	b = append(b, msg...)
	b = append(b, "\n\n"...)
	_, err := w.Write(b)
	return err
}
