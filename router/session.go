package router

import (
	"context"

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

// Transport is how a session's messages leave. Implemented by engine/ for
// each transport (NDJSON over TCP, stdio, HTTP).
type Transport interface {
	// Reply sends one complete JSON-RPC message (no framing). It is called
	// on the session's shard goroutine only, and must copy msg (or write it)
	// before returning: msg is scratch that is reused.
	Reply(msg []byte)
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

	// clientCaps/clientInfo are copies of what initialize declared.
	clientCaps []byte
	clientInfo []byte

	// inflight holds the session's requests running on the worker pool,
	// keyed by raw id, so notifications/cancelled can reach them.
	inflight map[string]*call

	inline        *Request // reused by inline tool calls
	cursorScratch []byte
}

// NewSession returns a session on shard sh whose output goes to out.
func (r *Router) NewSession(sh *shards.Shard, out Transport) *Session {
	s := &Session{out: out, shard: sh, r: r}
	sh.Join(s)
	return s
}

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
	s.shard.Leave(s)
	for k, c := range s.inflight {
		c.cancel()
		delete(s.inflight, k)
	}
}

// Closed reports whether Close was called.
func (s *Session) Closed() bool { return s.closed }

// Notify implements shards.Member: a catalog change on this shard.
func (s *Session) Notify(kind uint8, key string) {
	if s.closed {
		return
	}
	switch kind {
	case changeTools:
		if s.era == EraLegacy && s.initialized {
			s.sendNotification("notifications/tools/list_changed", nil)
		}
	}
}

func (s *Session) sendNotification(method string, params []byte) {
	buf := s.shard.Scratch[:0]
	buf = appendNotification(buf, method, params)
	s.out.Reply(buf)
	s.shard.Scratch = buf[:0]
}

// call is a request running on the worker pool.
type call struct {
	cancel    context.CancelFunc
	cancelled bool
}
