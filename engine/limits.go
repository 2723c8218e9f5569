package engine

import (
	"time"

	"github.com/densemcp/densemcp/codec"
)

// Per-connection limits. gnet enforces none of them: it keeps reading a
// readable socket into an unbounded inbound buffer and never refuses a
// write, so without these a flooding or slow peer grows our memory.
const (
	// DefaultMaxLineBytes bounds one NDJSON message.
	DefaultMaxLineBytes = codec.DefaultMaxLineBytes
	// DefaultMaxInboundBytes bounds bytes read but not yet handled on one
	// connection. Complete lines are handled as they arrive, so only a
	// partial line waits here; the slack covers one socket read past it.
	DefaultMaxInboundBytes = DefaultMaxLineBytes + 64<<10
	// DefaultMaxOutboundBytes bounds answers queued for a peer that does
	// not read (a slow consumer); past it the connection is closed, like
	// nats-server's pending-bytes rule. 4 MiB holds a few large results.
	DefaultMaxOutboundBytes = 4 << 20
	// DefaultMaxConnections bounds open connections over all transports;
	// past it a new connection is closed at once. Each costs about 1 KB
	// idle, so the default is memory-safe; the file-descriptor limit
	// (RLIMIT_NOFILE) usually binds first.
	DefaultMaxConnections = 100_000
	// DefaultDrainTimeout bounds a drain: long enough for tools that call
	// slow services to finish, shorter than the 30 s an orchestrator
	// usually waits between SIGTERM and SIGKILL.
	DefaultDrainTimeout = 25 * time.Second
)

// Config configures the engine. Zero fields take their defaults.
type Config struct {
	// Loops is the number of event loops, one shard each (default: GOMAXPROCS).
	Loops            int
	MaxLineBytes     int
	MaxInboundBytes  int
	MaxOutboundBytes int
	MaxConnections   int
	// MessagesPerPass is the fair share of one connection in one pass of
	// its loop: past it the connection's other messages wait for the
	// loop's next pass (DefaultMessagesPerPass).
	MessagesPerPass int
	// MemoryBudget is the heap the overload manager works against, in
	// bytes: its stages engage at 80, 88, 94 and 100% of it (see Stage).
	// 0 means DefaultMemoryBudget(); negative turns the manager off.
	MemoryBudget int64
	// DrainTimeout bounds a drain (SIGTERM, Shutdown without a deadline):
	// calls still running after it are answered with a shutdown error
	// (DefaultDrainTimeout).
	DrainTimeout time.Duration
	// HTTP configures the Streamable HTTP transport.
	HTTP HTTPConfig

	// Hardening: what a client that stalls or misbehaves can hold.
	// Timeouts bound how long (timeouts.go); Linger how a connection
	// ended after an error answer is closed (linger.go).
	Timeouts Timeouts
	Linger   Linger
	// ReusePort binds the listeners with SO_REUSEPORT (one per loop,
	// the kernel spreads connections) instead of exclusively. Another
	// server may then share the port: meant for zero-downtime restarts,
	// where the new process starts before the old one drains. Legacy HTTP
	// sessions live in the process that created them, so while two share
	// the port a session's requests that reach the other one get 404 and
	// the client must initialize again.
	ReusePort bool
	// MaxIncompleteBytes bounds the memory held, over all connections, for
	// messages still arriving (budget.go); default
	// DefaultMaxIncompleteBytes().
	MaxIncompleteBytes int64
}

func (c *Config) setDefaults() {
	if c.MaxLineBytes <= 0 {
		c.MaxLineBytes = DefaultMaxLineBytes
	}
	if c.MaxInboundBytes <= 0 {
		c.MaxInboundBytes = DefaultMaxInboundBytes
	}
	if c.MaxInboundBytes < c.MaxLineBytes {
		c.MaxInboundBytes = c.MaxLineBytes
	}
	if c.MaxOutboundBytes <= 0 {
		c.MaxOutboundBytes = DefaultMaxOutboundBytes
	}
	if c.MaxConnections <= 0 {
		c.MaxConnections = DefaultMaxConnections
	}
	if c.MaxIncompleteBytes <= 0 {
		c.MaxIncompleteBytes = DefaultMaxIncompleteBytes()
	}
	c.Timeouts.setDefaults()
	c.Linger.setDefaults()
	if c.MessagesPerPass <= 0 {
		c.MessagesPerPass = DefaultMessagesPerPass
	}
	if c.MemoryBudget == 0 {
		c.MemoryBudget = DefaultMemoryBudget()
	}
	if c.DrainTimeout <= 0 {
		c.DrainTimeout = DefaultDrainTimeout
	}
}
