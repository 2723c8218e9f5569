package engine

import "sync/atomic"

// CloseReason says why the server closed a connection. Every close is
// counted by reason.
type CloseReason uint8

const (
	// ClosePeer: the peer closed or the socket failed.
	ClosePeer CloseReason = iota
	// CloseLineTooLong: a message exceeded MaxLineBytes.
	CloseLineTooLong
	// CloseInboundLimit: unhandled inbound bytes exceeded MaxInboundBytes.
	CloseInboundLimit
	// CloseSlowConsumer: queued answers exceeded MaxOutboundBytes.
	CloseSlowConsumer
	// CloseShutdown: the server is stopping.
	CloseShutdown
	// CloseMaxConnections: the connection limit was reached.
	CloseMaxConnections
	// CloseBadRequest: an HTTP request could not be framed (400, 413,
	// 431); the answer was sent and the connection closed politely.
	CloseBadRequest
	// CloseTimeout: a request head, body or message, or a session
	// handshake, did not arrive in time (408 or -32001, polite close).
	CloseTimeout
	// CloseIdle: the connection was idle past its idle timeout.
	CloseIdle
	// CloseBudget: a message still arriving found no room in the budget
	// for incomplete messages (503 or -32000, polite close).
	CloseBudget
	// CloseOverload: the overload manager refused a new connection or
	// shed one holding a large queue of unsent answers.
	CloseOverload
	numCloseReasons
)

func (r CloseReason) String() string {
	switch r {
	case ClosePeer:
		return "peer"
	case CloseLineTooLong:
		return "line_too_long"
	case CloseInboundLimit:
		return "inbound_limit"
	case CloseSlowConsumer:
		return "slow_consumer"
	case CloseShutdown:
		return "shutdown"
	case CloseMaxConnections:
		return "max_connections"
	case CloseBadRequest:
		return "bad_request"
	case CloseTimeout:
		return "timeout"
	case CloseIdle:
		return "idle"
	case CloseBudget:
		return "incomplete_budget"
	case CloseOverload:
		return "overload"
	}
	return "unknown"
}

// Stats are the engine's process-wide counters: only what admission must
// see across loops. Everything else is counted per loop (see Snapshot,
// ClosedBy, Lingered).
type Stats struct {
	// Open is the number of connections open now, for MaxConnections.
	Open atomic.Int64
}
