package engine

import (
	"time"

	"github.com/densemcp/densemcp/router"
)

// Snapshot copies the counters of the transport's shards, one LoopSnapshot
// each, read on the shard's goroutine: requests (labelled http, as on the
// loops), admission counters and live legacy sessions. Connections and
// bytes are the host program's http.Server's and are not counted here. A
// shard that does not answer within a second (or after Close) is marked
// stale with zero values.
func (h *NetHTTP) Snapshot() []LoopSnapshot {
	out := make([]LoopSnapshot, len(h.shards))
	chans := make([]chan LoopSnapshot, len(h.shards))
	for i, ns := range h.shards {
		out[i] = LoopSnapshot{Index: ns.sh.ID, Stale: true}
		ch := make(chan LoopSnapshot, 1)
		err := ns.in.Execute(func() {
			ls := LoopSnapshot{Index: ns.sh.ID}
			ls.Sessions[router.TransportHTTP][router.EraLegacy] = int64(len(ns.sessions))
			h.r.SnapshotShard(ns.sh, &ls.Requests)
			ls.Overload.Add(h.r.LoopStats(ns.sh))
			ch <- ls
		})
		if err == nil {
			chans[i] = ch
		}
	}
	deadline := time.NewTimer(snapshotWait)
	defer deadline.Stop()
	for i, ch := range chans {
		if ch == nil {
			continue
		}
		select {
		case out[i] = <-ch:
		case <-deadline.C:
			return out
		}
	}
	return out
}
