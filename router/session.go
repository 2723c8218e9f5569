package router

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/valyala/bytebufferpool"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/shards"
)

// Era is the protocol era a session speaks.
type Era uint8

const (
	// EraUnknown: nothing decisive has arrived yet.
	EraUnknown Era = iota
	// EraLegacy: initialize handshake, 2025-11-25 and earlier.
	EraLegacy
	// EraModern: stateless, per-request _meta, 2026-07-28.
	EraModern
)

func (e Era) String() string {
	switch e {
	case EraLegacy:
		return "legacy"
	case EraModern:
		return "modern"
	}
	return "unknown"
}

// MsgKind tells a transport how a message relates to the client's requests,
// so HTTP can put it on the right stream; NDJSON and stdio ignore it.
type MsgKind uint8

const (
	// MsgResponse is the final answer (result or error) to request related.
	MsgResponse MsgKind = iota
	// MsgRelated is a notification or server→client request sent while
	// request related runs (progress, logs, elicitation, listen events).
	MsgRelated
	// MsgUnrelated belongs to no request (list_changed on a legacy session).
	MsgUnrelated
	// MsgCloseStream (no message) asks the transport to end the stream that
	// carries request related while the request goes on (SEP-1699 polling:
	// the client resumes the stream later). Transports without resumable
	// streams ignore it.
	MsgCloseStream
	// MsgBusy is a final answer to request related that refuses it for
	// server-wide pressure (overload, shutdown): HTTP 503 with Retry-After.
	MsgBusy
	// MsgOverShare is a final answer that refuses request related because
	// its client is over its share: HTTP 429 with Retry-After.
	MsgOverShare
)

// Final reports whether a message of kind k ends its request (an answer
// or a refusal).
func (k MsgKind) Final() bool { return k == MsgResponse || k == MsgBusy || k == MsgOverShare }

// Listening reports whether the session has a modern
// subscriptions/listen stream open. Shard goroutine only.
func (s *Session) Listening() bool { return len(s.listens) > 0 }

// InFlight returns the session's blocking calls running or queued. Shard
// goroutine only.
func (s *Session) InFlight() int { return len(s.inflight) }

// Transport is how a session's messages leave. Implemented by engine/ for
// each transport (NDJSON over TCP, stdio, HTTP).
type Transport interface {
	// Send sends one complete JSON-RPC message (no framing). related is the
	// raw id of the client request the message belongs to (nil for parse
	// errors and unrelated messages). It is called on the session's shard
	// goroutine only and must copy msg (or write it) before returning:
	// msg is scratch that is reused.
	Send(kind MsgKind, related, msg []byte)
}

// Session is one MCP session: a TCP or stdio connection, or a legacy HTTP
// session. All fields are owned by the session's shard goroutine.
type Session struct {
	era         Era
	version     string // negotiated legacy protocol version
	initAnswer  bool   // initialize was answered
	initialized bool   // notifications/initialized arrived
	closed      bool

	out   Transport
	shard *shards.Shard
	r     *Router
	// kind is the transport the session arrived on; id is its
	// Mcp-Session-Id when it has one (metrics and span attributes).
	kind TransportKind
	id   string

	// clientCaps/clientInfo are copies of what initialize declared.
	clientCaps []byte
	clientInfo []byte

	// inflight holds the session's requests running on the worker pool or
	// queued for it, keyed by raw id, so notifications/cancelled can reach
	// them; queued counts the queued ones.
	inflight map[string]*call
	queued   int

	// logLevel is the legacy logging/setLevel threshold (levelUnset: all),
	// read by handlers on workers, hence atomic.
	logLevel atomic.Int32
	// resourceSubs are the legacy resources/subscribe URIs.
	resourceSubs map[string]struct{}
	// pending are server→client requests awaiting the client's answer.
	pending map[string]chan clientAnswer
	// outSeq numbers server→client requests (read on workers: atomic).
	outSeq atomic.Uint64
	// listens are the modern subscriptions/listen streams, by raw id.
	listens map[string]*listen

	cursorScratch []byte

	// principal is who the current request acts for (see SetPrincipal);
	// needPrincipal refuses requests without one (RequirePrincipal).
	principal     *Principal
	needPrincipal bool

	// joined: the session is a member of its shard (it hears list changes).
	// A per-request modern session joins only when it opens a listen.
	joined bool
	// escaped: something that outlives a request was handed out — a
	// request on the worker pool, a listen, a server→client request — so
	// the session may be reached after Close and must not be reused.
	escaped bool

	// capture, while a hook routes a request of this session, takes the
	// answer the router writes instead of the transport (middleware.go).
	capture *Call

	// Ext is free for the package that wraps the router's API (the root
	// densemcp package keeps its view of the Session here).
	Ext any
}

// NewSession returns a session on shard sh whose output goes to out.
func (r *Router) NewSession(sh *shards.Shard, out Transport) *Session {
	s := allocSession()
	s.out, s.shard, s.r, s.joined = out, sh, r, true
	s.logLevel.Store(int32(levelUnset))
	sh.Join(s)
	return s
}

// NewRequestSession returns a modern-era session for one stateless request
// (a 2026-07-28 HTTP POST): it hears list changes only once it opens a
// subscriptions/listen stream, and after Close it may be reused (Reuse).
func (r *Router) NewRequestSession(sh *shards.Shard, out Transport) *Session {
	s := allocSession()
	s.out, s.shard, s.r, s.era = out, sh, r, EraModern
	s.logLevel.Store(int32(levelUnset))
	return s
}

// join makes the session a member of its shard. Shard goroutine only.
func (s *Session) join() {
	if !s.joined && !s.closed {
		s.joined = true
		s.shard.Join(s)
	}
}

// Reuse readies a closed request session (NewRequestSession) for the
// transport's next request with output out, keeping its buffers. It
// refuses (false) a session that handed out anything that may still reach
// it after Close — a worker-pool request, a listen, a server→client
// request — since its late messages would go to the next request. Shard
// goroutine only.
func (s *Session) Reuse(out Transport) bool {
	if !s.closed || s.escaped || s.era != EraModern || len(s.inflight) > 0 || len(s.pending) > 0 || len(s.listens) > 0 {
		return false
	}
	s.closed = false
	s.out = out
	s.principal = nil // the next request's transport sets its own
	s.logLevel.Store(int32(levelUnset))
	return true
}

// SetTransport tells the session which transport carries it and its
// Mcp-Session-Id ("" for none), for request metrics and spans.
func (s *Session) SetTransport(kind TransportKind, id string) { s.kind, s.id = kind, id }

// UseModern fixes the session's era to modern before its first message:
// for transports that know the era from outside the body (HTTP headers).
func (s *Session) UseModern() { s.era = EraModern }

// Era returns the session's era.
func (s *Session) Era() Era { return s.era }

// Version returns the negotiated legacy protocol version ("" if none).
func (s *Session) Version() string { return s.version }

// Shard returns the shard that owns the session.
func (s *Session) Shard() *shards.Shard { return s.shard }

// Close ends the session: in-flight handlers are cancelled and their late
// answers dropped. Shard goroutine only.
func (s *Session) Close() {
	if s.closed {
		return
	}
	s.closed = true
	if s.joined {
		s.joined = false
		s.shard.Leave(s)
	}
	for k, c := range s.inflight {
		delete(s.inflight, k)
		s.r.forget(c)
	}
	for k, ch := range s.pending {
		ch <- clientAnswer{err: errSessionClosed}
		delete(s.pending, k)
	}
	clear(s.listens)
}

// Closed reports whether Close was called.
func (s *Session) Closed() bool { return s.closed }

// Notify implements shards.Member: a change seen on this shard.
func (s *Session) Notify(kind uint8, key string) {
	if s.closed {
		return
	}
	if s.era == EraLegacy {
		if !s.initialized {
			return
		}
		switch kind {
		case changeTools:
			s.sendNotification("notifications/tools/list_changed", nil)
		case changePrompts:
			s.sendNotification("notifications/prompts/list_changed", nil)
		case changeResources:
			s.sendNotification("notifications/resources/list_changed", nil)
		case changeResourceUpdated:
			if _, ok := s.resourceSubs[key]; ok {
				s.sendResourceUpdated(nil, key)
			}
		}
		return
	}
	for _, l := range s.listens {
		l.notify(s, kind, key)
	}
}

func (s *Session) sendNotification(method string, params []byte) {
	s.notify(MsgUnrelated, nil, method, params)
}

// sendResourceUpdated sends notifications/resources/updated; subID tags it
// for a modern listen stream (nil on legacy sessions).
func (s *Session) sendResourceUpdated(subID []byte, uri string) {
	var p [512]byte
	params := append(p[:0], '{')
	if subID != nil {
		params = appendSubscriptionMeta(params, subID)
		params = append(params, ',')
	}
	params = append(params, `"uri":`...)
	params = codec.AppendString(params, uri)
	params = append(params, '}')
	kind := MsgUnrelated
	if subID != nil {
		kind = MsgRelated
	}
	s.notify(kind, subID, "notifications/resources/updated", params)
}

// call is a blocking request running on the worker pool or queued for a
// slot there (admission.go). Shard goroutine only, but for task, which
// runs on a worker.
type call struct {
	cancel    context.CancelFunc
	cancelled bool            // by the client: its answer is not sent
	obs       observation     // the request's, ended when its answer is sent
	parent    context.Context // the request's trace span, parent of its context
	s         *Session
	key       string // string(id), its key in s.inflight
	id        []byte // in own
	own       *bytebufferpool.ByteBuffer
	req       *Request // its context is set when the call starts
	task      func()
	state     uint8
	enq       int64       // when it was queued
	start     int64       // when it was submitted to the pool
	deadline  *time.Timer // abandons the call at the handler timeout
	// prev and next link the shard's calls (admission.head).
	prev, next *call
}

func (c *call) stopTimer() {
	if c.deadline != nil {
		c.deadline.Stop()
	}
}

// free returns the call's copy of the request; c.id is invalid after.
func (c *call) free() {
	if c.own != nil {
		bytebufferpool.Put(c.own)
		c.own = nil
	}
}

// Initialized reports whether a legacy session completed its handshake
// (notifications/initialized arrived). Shard goroutine only.
func (s *Session) Initialized() bool { return s.initialized }

// Active reports whether something is running on the session: a request
// on the worker pool, a server→client request awaiting its answer, or an
// open listen stream. Transports do not time such a session out as idle.
// Shard goroutine only.
func (s *Session) Active() bool {
	return len(s.inflight) > 0 || len(s.pending) > 0 || len(s.listens) > 0
}
