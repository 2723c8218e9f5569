// Package cluster runs densemcp servers as the nodes of one cluster over
// NATS: any node answers any modern (stateless) request, notifications
// raised on one node reach the listeners of every node, and a legacy
// session (Mcp-Session-Id) can be used through any node — a request that
// reaches a node not holding the session is forwarded to the node that
// does, over NATS request/reply, and when that node is lost the session's
// durable state, kept in a JetStream key-value bucket, is adopted by
// another. The engine calls it only through engine.Cluster; a server
// without a cluster never reaches this package.
package cluster

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// Defaults of a Config.
const (
	// DefaultName prefixes the cluster's NATS subjects and names its buckets.
	DefaultName = "densemcp"
	// DefaultHeartbeat is how often a node says it is alive.
	DefaultHeartbeat = time.Second
	// DefaultDeadAfter: a node silent this long is taken for lost; requests
	// forwarded to it and still unanswered get an explicit error.
	DefaultDeadAfter = 3 * time.Second
	// DefaultStateTTL: a session record not written for this long expires
	// from the bucket (live sessions are written again every half of it).
	DefaultStateTTL = time.Hour
	// DefaultOutbox bounds messages waiting to be published (answers of
	// forwarded requests, notifications); past it they are dropped and
	// counted, and a forwarded exchange that lost one fails explicitly.
	DefaultOutbox = 65536
	// DefaultPending bounds messages a subscription holds for its handler
	// (nats.go pending limits); past it NATS drops and we count.
	DefaultPending = 65536
	// DefaultForwardWait bounds how long a node waits for the NATS server
	// and bucket at Join.
	DefaultForwardWait = 10 * time.Second
)

// Config configures a node.
type Config struct {
	// URLs are the NATS servers (nats://host:port); JetStream must be on.
	URLs []string
	// Name prefixes subjects and names buckets (DefaultName): clusters
	// sharing one NATS system need different names.
	Name string
	// NodeID names this node in session ids: letters, digits, '-' and '_',
	// at most 32. Default: the host name and a random suffix.
	NodeID string
	// Heartbeat and DeadAfter set failure detection (defaults above).
	Heartbeat, DeadAfter time.Duration
	// StateTTL is the session bucket's key expiry (DefaultStateTTL).
	StateTTL time.Duration
	// Replicas of the buckets (1; 3 on a three-server NATS cluster).
	Replicas int
	// MemoryStorage keeps the buckets in memory instead of on disk (they
	// then do not survive a restart of the NATS servers).
	MemoryStorage bool
	// StateKey signs modern requestState blobs on every node. Empty: the
	// first node to join makes a random one and keeps it in the cluster's
	// config bucket, where the others read it.
	StateKey []byte
	// Outbox and Pending bound the queues (defaults above).
	Outbox, Pending int
	// NATSOptions are passed to nats.Connect (credentials, TLS, ...).
	NATSOptions []nats.Option
	// Logger receives the cluster's logs (default slog.Default()).
	Logger *slog.Logger
}

// ParseURLs splits a --cluster value: comma-separated nats:// URLs.
func ParseURLs(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (c *Config) setDefaults() error {
	if len(c.URLs) == 0 {
		return errors.New("cluster: no NATS URL")
	}
	if c.Name == "" {
		c.Name = DefaultName
	}
	if !validName(c.Name, 64) {
		return fmt.Errorf("cluster: name %q: use letters, digits, '-' and '_'", c.Name)
	}
	if c.NodeID == "" {
		c.NodeID = defaultNodeID()
	}
	if !validName(c.NodeID, 32) {
		return fmt.Errorf("cluster: node id %q: use at most 32 letters, digits, '-' and '_'", c.NodeID)
	}
	if c.Heartbeat <= 0 {
		c.Heartbeat = DefaultHeartbeat
	}
	if c.DeadAfter <= 0 {
		c.DeadAfter = 3 * c.Heartbeat
	}
	if c.DeadAfter <= c.Heartbeat {
		return errors.New("cluster: DeadAfter must be longer than Heartbeat")
	}
	if c.StateTTL <= 0 {
		c.StateTTL = DefaultStateTTL
	}
	if c.Replicas <= 0 {
		c.Replicas = 1
	}
	if c.Outbox <= 0 {
		c.Outbox = DefaultOutbox
	}
	if c.Pending <= 0 {
		c.Pending = DefaultPending
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

// validName: letters, digits, '-', '_' (safe in subjects, bucket keys and
// session ids), 1..max bytes.
func validName(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}

// defaultNodeID is the host name (cleaned, cut to 24 bytes) and a random
// suffix, so two processes on one host never share an id.
func defaultNodeID() string {
	h, _ := os.Hostname()
	b := make([]byte, 0, 32)
	for _, c := range []byte(h) {
		if validName(string(c), 1) {
			b = append(b, c)
		}
		if len(b) == 24 {
			break
		}
	}
	if len(b) == 0 {
		b = append(b, "node"...)
	}
	var r [3]byte
	_, _ = rand.Read(r[:])
	return string(b) + "-" + hex.EncodeToString(r[:])
}
