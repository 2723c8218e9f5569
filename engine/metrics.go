package engine

import (
	"sync/atomic"
	"time"

	"github.com/densemcp/densemcp/router"
	"github.com/panjf2000/gnet/v2"
)

// loopStats are one loop's counters: plain integers that only the loop's
// own goroutine writes. Snapshot reads them through a task run on that
// loop, so counting costs an increment, no atomic and no lock.
type loopStats struct {
	opened [router.NumTransportKinds]uint64 // accepted connections
	open   [router.NumTransportKinds]int64  // open now
	closed [numCloseReasons]uint64
	// bytesIn are bytes framed into messages (or requests); bytesOut are
	// bytes handed to the socket.
	bytesIn, bytesOut uint64
	// sessionsCreated counts legacy HTTP sessions made by initialize;
	// sessionsRefused those refused at MaxSessions.
	sessionsCreated, sessionsRefused uint64
	// lingered counts connections closed politely (linger.go).
	lingered uint64
}

// closedBy counts connection c closed for reason r (by the server, or by
// the peer) and logs it at debug level. Loop goroutine.
func (l *loop) closedBy(c gnet.Conn, r CloseReason) {
	l.stats.closed[r]++
	switch r {
	case CloseLineTooLong, CloseInboundLimit, CloseSlowConsumer:
		l.srv.limitReached(int(r), "closing a connection at a limit", "reason", r.String())
	}
	if l.srv.debug {
		l.srv.log.Debug("connection closed", "reason", r.String(), "remote", connRemote(c), "loop", l.idx)
	}
}

func connRemote(c gnet.Conn) string {
	if a := c.RemoteAddr(); a != nil {
		return a.String()
	}
	return ""
}

// wrote counts n bytes handed to a socket by this loop. Loop goroutine.
func (l *loop) wrote(n int) { l.stats.bytesOut += uint64(n) }

// opened counts an accepted connection of kind and logs it at debug
// level. Loop goroutine.
func (l *loop) opened(c gnet.Conn, kind router.TransportKind) {
	l.stats.opened[kind]++
	l.stats.open[kind]++
	if l.srv.debug {
		l.srv.log.Debug("connection opened", "transport", kind.String(), "remote", connRemote(c), "loop", l.idx)
	}
}

// LoopSnapshot is a copy of one loop's counters and gauges.
type LoopSnapshot struct {
	// Index is the loop's (and its shard's) index.
	Index int
	// Stale: the loop did not answer in time (or has stopped); the values
	// are from its last answer.
	Stale bool
	// Opened and Open are connections accepted and open now, by transport.
	Opened [router.NumTransportKinds]uint64
	Open   [router.NumTransportKinds]int64
	// Closed counts connection closes by reason.
	Closed [numCloseReasons]uint64
	// BytesIn and BytesOut are bytes read into messages and written.
	BytesIn, BytesOut uint64
	// PendingBytes are answers queued in the loop's connections that the
	// peers have not read yet.
	PendingBytes uint64
	// Sessions are live sessions by transport and era (router.Era).
	Sessions [router.NumTransportKinds][3]int64
	// SessionsCreated and SessionsRefused count legacy HTTP initialize
	// calls that made a session or met MaxSessions.
	SessionsCreated, SessionsRefused uint64
	// Lingering are connections draining after their last answer now;
	// Lingered counts every connection closed that way.
	Lingering int64
	Lingered  uint64
	// Requests are the router's counters of the loop's shard.
	Requests router.MeterSnapshot
	// Overload are the loop's admission counters and gauges (refusals by
	// reason, calls admitted, queued and completed, the concurrency
	// limit and its minimum latency).
	Overload router.Stats
}

// Snapshot is a copy of every loop's counters.
type Snapshot struct {
	Loops []LoopSnapshot
	// Draining: the server is stopping and refuses new connections.
	Draining bool
	// Memory is the overload manager's state.
	Memory MemoryState
}

// MemoryState is the overload manager's view of memory at one moment.
type MemoryState struct {
	// Stage is the current stage; StageChanges counts its changes.
	Stage        Stage
	StageChanges uint64
	// HeapLive is the live heap last sampled, against Budget (both 0
	// when the overload manager is off).
	HeapLive, Budget int64
}

// Merge folds another server's state into m: the higher stage, changes
// added; the heap is the process's, so the larger sample and budget.
func (m *MemoryState) Merge(o MemoryState) {
	m.Stage = max(m.Stage, o.Stage)
	m.StageChanges += o.StageChanges
	m.HeapLive = max(m.HeapLive, o.HeapLive)
	m.Budget = max(m.Budget, o.Budget)
}

// NumCloseReasons is the number of close reasons (CloseReason values).
const NumCloseReasons = int(numCloseReasons)

// snapshotWait bounds how long Snapshot waits for a busy loop.
const snapshotWait = time.Second

// Snapshot copies every loop's counters, each read on its own loop. A loop
// that does not answer within a second keeps its previous values, marked
// stale. Safe for concurrent use; meant for scrapes, not the hot path.
func (s *Server) Snapshot() Snapshot {
	out := Snapshot{Loops: make([]LoopSnapshot, len(s.slots)), Draining: s.draining.Load(),
		Memory: MemoryState{Stage: s.Stage(), StageChanges: s.StageChanges(), HeapLive: s.HeapLive(), Budget: max(s.cfg.MemoryBudget, 0)}}
	chans := make([]chan LoopSnapshot, len(s.slots))
	for i := range s.slots {
		l := s.slots[i].Load()
		if l == nil {
			out.Loops[i].Index = i // no connection yet: all zero
			continue
		}
		ch := make(chan LoopSnapshot, 1)
		if l.shard.Post(func() { ch <- l.snapshot() }) == nil {
			chans[i] = ch
		}
	}
	deadline := time.NewTimer(snapshotWait)
	defer deadline.Stop()
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	if s.lastSnap == nil {
		s.lastSnap = make([]LoopSnapshot, len(s.slots))
	}
	expired := false
	for i, ch := range chans {
		if ch == nil {
			if s.slots[i].Load() != nil {
				out.Loops[i] = s.lastSnap[i]
				out.Loops[i].Stale = true
			}
			continue
		}
		// The deadline fires once: past it, a loop's answer is taken
		// only if it is already there.
		var ls LoopSnapshot
		ok := false
		if !expired {
			select {
			case ls = <-ch:
				ok = true
			case <-deadline.C:
				expired = true
			}
		} else {
			select {
			case ls = <-ch:
				ok = true
			default:
			}
		}
		if ok {
			out.Loops[i] = ls
			s.lastSnap[i] = ls
		} else {
			out.Loops[i] = s.lastSnap[i]
			out.Loops[i].Index = i
			out.Loops[i].Stale = true
		}
	}
	return out
}

// snapshot copies the loop's counters and walks its connections for the
// gauges. Loop goroutine.
func (l *loop) snapshot() LoopSnapshot {
	ls := LoopSnapshot{Index: l.idx, Opened: l.stats.opened, Open: l.stats.open, Closed: l.stats.closed,
		BytesIn: l.stats.bytesIn, BytesOut: l.stats.bytesOut,
		SessionsCreated: l.stats.sessionsCreated, SessionsRefused: l.stats.sessionsRefused, Lingered: l.stats.lingered}
	for _, w := range l.watched {
		switch x := w.(type) {
		case *conn:
			ls.PendingBytes += uint64(x.c.OutboundBuffered())
			ls.Sessions[router.TransportNDJSON][x.session.Era()]++
		case *httpConn:
			ls.PendingBytes += uint64(x.c.OutboundBuffered())
		case *lingerConn:
			ls.PendingBytes += uint64(x.c.OutboundBuffered())
			ls.Lingering++
		}
	}
	ls.Sessions[router.TransportHTTP][router.EraLegacy] = int64(len(l.sessions))
	l.srv.r.SnapshotShard(l.shard, &ls.Requests)
	ls.Overload.Add(l.srv.r.LoopStats(l.shard))
	return ls
}

// ClosedBy returns how many connections were closed for reason r.
func (s *Server) ClosedBy(r CloseReason) uint64 {
	var n uint64
	for _, l := range s.Snapshot().Loops {
		n += l.Closed[r]
	}
	return n
}

// Limits whose reaching is logged, at most once per limitLogEvery each:
// the close reasons, and the session limit.
const (
	limitSessions = int(numCloseReasons) + iota
	numLimits
)

// limitLogEvery spaces the log lines of one limit: a flood of refusals is
// counted in metrics, not logged one by one.
const limitLogEvery = 10 * time.Second

// limitLog remembers when each limit was last logged.
type limitLog struct {
	last [numLimits]atomic.Int64 // unix nanos
}

// limitReached logs (at warn, rate-limited) that limit which was reached.
// Any goroutine.
func (s *Server) limitReached(which int, msg string, key string, value any) {
	now := time.Now().UnixNano()
	last := &s.limits.last[which]
	prev := last.Load()
	if now-prev < int64(limitLogEvery) || !last.CompareAndSwap(prev, now) {
		return
	}
	s.log.Warn(msg, key, value)
}

// Draining reports whether Stop has begun: new connections are refused.
func (s *Server) Draining() bool { return s.draining.Load() }

// Started reports whether the listeners are up.
func (s *Server) Started() bool {
	select {
	case <-s.started:
		return true
	default:
		return false
	}
}

// Lingered returns how many connections were closed politely (lingering
// after their last answer).
func (s *Server) Lingered() uint64 {
	var n uint64
	for _, l := range s.Snapshot().Loops {
		n += l.Lingered
	}
	return n
}
