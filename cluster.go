package densemcp

import (
	"context"
	"time"

	"github.com/densemcp/densemcp/cluster"
	"github.com/densemcp/densemcp/engine"
)

// ClusterConfig makes a server one node of a cluster over NATS (see
// package cluster and the README's "Running a cluster").
type ClusterConfig = cluster.Config

// ClusterStats are a cluster node's counters.
type ClusterStats = cluster.Stats

// joinCluster joins the cluster of Options.Cluster before e serves: the
// node shares the cluster's requestState key and names its sessions. It
// returns start, to call once e is serving, and leave, to call after e
// stopped (nil, nil, nil without a cluster).
func (s *Server) joinCluster(ctx context.Context, e *engine.Server) (start func() error, leave func(), err error) {
	if s.opts.Cluster == nil {
		return nil, nil, nil
	}
	cfg := *s.opts.Cluster
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

// ClusterStats returns the cluster node's counters while the server serves
// as one (ok false otherwise).
func (s *Server) ClusterStats() (st ClusterStats, ok bool) {
	n := s.node.Load()
	if n == nil {
		return st, false
	}
	return n.Stats(), true
}
