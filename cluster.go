package densemcp

import (
	"context"
	"log/slog"
	"time"

	"github.com/densemcp/densemcp/cluster"
	"github.com/densemcp/densemcp/engine"
	"github.com/nats-io/nats.go"
)

// ClusterConfig makes a server one node of a cluster over NATS
// (Options.Cluster; README: "Running a cluster"). Zero fields take the
// defaults package cluster names.
type ClusterConfig struct {
	// URLs are the NATS servers (nats://host:port); JetStream must be on.
	URLs []string
	// Name prefixes subjects and names buckets (cluster.DefaultName):
	// clusters sharing one NATS system need different names.
	Name string
	// NodeID names this node in session ids: letters, digits, '-' and '_',
	// at most 32. Default: the host name and a random suffix.
	NodeID string
	// Heartbeat and DeadAfter set failure detection (cluster.DefaultHeartbeat,
	// cluster.DefaultDeadAfter).
	Heartbeat, DeadAfter time.Duration
	// StateTTL is the session bucket's key expiry (cluster.DefaultStateTTL).
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
	// Outbox and Pending bound the queues (cluster.DefaultOutbox,
	// cluster.DefaultPending).
	Outbox, Pending int
	// NATSOptions are passed to nats.Connect (credentials, TLS, ...).
	NATSOptions []nats.Option
	// Logger receives the cluster's logs (default: Options.Logger).
	Logger *slog.Logger
}

// joinCluster joins the cluster of Options.Cluster before e serves: the
// node shares the cluster's requestState key and names its sessions. It
// returns start, to call once e is serving, and leave, to call after e
// stopped (nil, nil, nil without a cluster).
func (s *Server) joinCluster(ctx context.Context, e *engine.Server) (start func() error, leave func(), err error) {
	if s.opts.Cluster == nil {
		return nil, nil, nil
	}
	cfg := cluster.Config(*s.opts.Cluster)
	if cfg.Logger == nil {
		cfg.Logger = s.opts.Logger
	}
	// Keys of the server's own (Options.StateKeys, --state-key-file) are
	// the cluster's: every node is given the same file, and its first key
	// signs. The router keeps the whole list (rotation); only a cluster
	// without keys of its own settles one in the cluster's bucket.
	ownKeys := len(s.opts.StateKeys) > 0
	if len(cfg.StateKey) == 0 && ownKeys {
		cfg.StateKey = s.opts.StateKeys[0]
	}
	n, err := cluster.Join(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	if !ownKeys || string(cfg.StateKey) != string(s.opts.StateKeys[0]) {
		s.r.SetStateKey(n.StateKey())
	}
	// Tasks name this node, so a tasks/get reaching another is forwarded.
	s.r.SetTaskNode(n.NodeID())
	e.SetCluster(n)
	start = func() error {
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := e.WaitStarted(wctx); err != nil {
			return err
		}
		if err := e.BindLoops(wctx); err != nil {
			return err
		}
		if err := n.Start(e, s.r); err != nil {
			return err
		}
		s.node.Store(n)
		return nil
	}
	leave = func() {
		s.node.Store(nil)
		s.r.SetTaskNode("")
		_ = n.Close()
	}
	return start, leave, nil
}

// ClusterStats returns the cluster node's counters (package cluster
// documents them) while the server serves as one (ok false otherwise).
// The type is cluster's own, so a *Server is an ops.ClusterSource and
// ops.NewCollector exports them.
func (s *Server) ClusterStats() (st cluster.Stats, ok bool) {
	n := s.node.Load()
	if n == nil {
		return st, false
	}
	return n.Stats(), true
}
