package engine

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/densemcp/densemcp/shards"
)

// neverRuns accepts tasks and never runs them: a loop that is stuck, or
// stopped after it accepted a task.
type neverRuns struct{}

func (neverRuns) Execute(func()) error { return nil }

// Snapshot waits at most snapshotWait for the loops in all. Its deadline
// timer fires once: read for the first silent loop, it used to leave the
// second one waited on without bound, and with it every later scrape
// (they queue on snapMu).
func TestSnapshotBoundedWithSeveralSilentLoops(t *testing.T) {
	s := &Server{}
	s.slots = make([]atomic.Pointer[loop], 3)
	for i := range s.slots {
		s.slots[i].Store(&loop{srv: s, idx: i, shard: shards.New(i, neverRuns{})})
	}
	done := make(chan Snapshot, 1)
	go func() { done <- s.Snapshot() }()
	select {
	case snap := <-done:
		for i, ls := range snap.Loops {
			if !ls.Stale || ls.Index != i {
				t.Fatalf("loop %d: %+v, want marked stale with its index", i, ls)
			}
		}
	case <-time.After(10 * snapshotWait):
		t.Fatal("Snapshot did not return with several loops silent")
	}
}
