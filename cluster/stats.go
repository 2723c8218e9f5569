package cluster

import (
	"errors"
	"sync/atomic"

	"github.com/nats-io/nats.go/jetstream"
)

// Stats are a node's counters since it joined (Peers is a gauge), read
// with Node.Stats (densemcp.Server.ClusterStats) at any time. Each walks
// them with a name and a help text, for an exporter.
type Stats struct {
	Forwarded       uint64 // requests sent to another node (legacy sessions, modern tasks)
	Served          uint64 // forwarded requests answered here
	ForwardFailed   uint64 // forwarded exchanges ended with an explicit error (all causes)
	ForwardTimeouts uint64 // of which: the owner stopped answering and was taken for lost (DeadAfter)
	KVReads         uint64 // session records read from the bucket
	KVWrites        uint64 // session records created, updated or deleted
	KVErrors        uint64 // bucket operations that failed (not counting lost compare-and-set races)
	Adopted         uint64 // sessions adopted here, from lost or leaving nodes
	HandoversOut    uint64 // sessions this node handed to a peer that took the batch, when it stopped
	HandoversIn     uint64 // sessions adopted here because their node handed them over
	NotifySent      uint64 // changes published to the other nodes
	NotifyHeard     uint64 // changes heard from the other nodes
	Dropped         uint64 // messages dropped: full outbox, lagging subscription, a change for a closed shard
	NodesLost       uint64 // peers taken for lost (silent past DeadAfter)
	Peers           uint64 // gauge: other nodes heard from and not leaving
}

// Each calls fn for every counter with a metric-style name (snake case,
// no prefix), a help text and whether it is a gauge.
func (s Stats) Each(fn func(name, help string, v uint64, gauge bool)) {
	fn("forwarded", "requests sent to another node", s.Forwarded, false)
	fn("served", "forwarded requests answered here", s.Served, false)
	fn("forward_failed", "forwarded exchanges ended with an explicit error", s.ForwardFailed, false)
	fn("forward_timeouts", "forwarded exchanges failed because the owner was taken for lost", s.ForwardTimeouts, false)
	fn("kv_reads", "session records read from the bucket", s.KVReads, false)
	fn("kv_writes", "session records created, updated or deleted", s.KVWrites, false)
	fn("kv_errors", "session bucket operations that failed", s.KVErrors, false)
	fn("adopted", "sessions adopted from lost or leaving nodes", s.Adopted, false)
	fn("handovers_out", "sessions handed to the other nodes at shutdown", s.HandoversOut, false)
	fn("handovers_in", "sessions adopted because their node handed them over", s.HandoversIn, false)
	fn("notify_sent", "changes published to the other nodes", s.NotifySent, false)
	fn("notify_heard", "changes heard from the other nodes", s.NotifyHeard, false)
	fn("dropped", "messages dropped by a full queue", s.Dropped, false)
	fn("nodes_lost", "peers taken for lost", s.NodesLost, false)
	fn("peers", "other live nodes", s.Peers, true)
}

type counters struct {
	forwarded, served, fwdFailed, fwdTimeouts   atomic.Uint64
	kvReads, kvWrites, kvErrors                 atomic.Uint64
	adopted, handoversOut, handoversIn          atomic.Uint64
	notifySent, notifyHeard, dropped, nodesLost atomic.Uint64
}

// kvResult counts a bucket operation's failure: a missing key or a lost
// compare-and-set is an answer, not an error.
func (n *Node) kvResult(err error) {
	if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) && !errors.Is(err, jetstream.ErrKeyRevisionMismatch) &&
		!errors.Is(err, jetstream.ErrKeyExists) && !errors.Is(err, jetstream.ErrKeyDeleted) {
		n.stats.kvErrors.Add(1)
	}
}

// Stats returns the node's counters.
func (n *Node) Stats() Stats {
	d := n.stats.dropped.Load()
	for _, s := range n.subs {
		if k, err := s.Dropped(); err == nil {
			d += uint64(k)
		}
	}
	return Stats{
		Forwarded: n.stats.forwarded.Load(), Served: n.stats.served.Load(),
		ForwardFailed: n.stats.fwdFailed.Load(), ForwardTimeouts: n.stats.fwdTimeouts.Load(),
		KVReads: n.stats.kvReads.Load(), KVWrites: n.stats.kvWrites.Load(), KVErrors: n.stats.kvErrors.Load(),
		Adopted: n.stats.adopted.Load(), HandoversOut: n.stats.handoversOut.Load(), HandoversIn: n.stats.handoversIn.Load(),
		NotifySent: n.stats.notifySent.Load(), NotifyHeard: n.stats.notifyHeard.Load(), Dropped: d,
		NodesLost: n.stats.nodesLost.Load(), Peers: uint64(len(n.livePeers())),
	}
}
