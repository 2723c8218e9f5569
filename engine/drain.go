package engine

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/densemcp/densemcp/codec/http1"
	"github.com/densemcp/densemcp/router"
)

// drainPoll is how often a drain looks whether the admitted calls ended.
const drainPoll = 10 * time.Millisecond

// handOverGrace bounds a cluster node's hand-over after a drain that used
// up its budget.
const handOverGrace = 5 * time.Second

// ErrNotStarted is returned by Shutdown before the server has started.
var ErrNotStarted = errors.New("engine: server not started")

// DrainStats counts what a drain did.
type DrainStats struct {
	// Accepted: blocking calls running or queued when the drain began.
	Accepted int64
	// Answered: calls answered by their handlers during the drain.
	Answered uint64
	// Refused: requests refused during the drain (arriving on open
	// connections, or at the concurrency limit).
	Refused uint64
	// CutOff: calls still running or queued when the budget ended, each
	// answered with a shutdown error.
	CutOff uint64
}

// drainState makes Shutdown run once; later callers wait for it.
type drainState struct {
	once  sync.Once
	done  chan struct{}
	stats DrainStats
	err   error
}

// Stop is Shutdown.
func (s *Server) Stop(ctx context.Context) error { return s.Shutdown(ctx) }

// Shutdown drains the server, then stops it: new connections are closed at
// once; requests that arrive on open connections are refused (HTTP 503
// with Connection: close, or the JSON-RPC error -32000 with reason
// "shutdown"); SSE streams that never end by themselves (legacy GET
// streams, modern listens) end with a final event carrying a retry hint;
// every call already admitted runs on until it is answered or ctx ends,
// when those left are answered with a shutdown error (cut off); then the
// answers are written and every connection is closed. A second call
// waits for the first. It returns ctx's error if the budget cut calls
// off.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	eng, booted := s.eng, s.booted
	s.mu.Unlock()
	if !booted {
		return ErrNotStarted
	}
	s.drain.once.Do(func() {
		s.drain.stats, s.drain.err = s.runDrain(ctx)
		if err := eng.Stop(context.Background()); err != nil && s.drain.err == nil {
			s.drain.err = err
		}
		if s.mon != nil {
			s.mon.stop()
		}
		for i := range s.slots {
			if l := s.slots[i].Load(); l != nil {
				l.closeKicker()
				l.closeIdle()
			}
		}
		close(s.drain.done)
	})
	select {
	case <-s.drain.done:
		return s.drain.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// LastDrain returns the counts of the drain, once Shutdown has returned.
func (s *Server) LastDrain() DrainStats {
	select {
	case <-s.drain.done:
		return s.drain.stats
	default:
		return DrainStats{}
	}
}

func (s *Server) runDrain(ctx context.Context) (DrainStats, error) {
	s.draining.Store(true)
	s.r.SetDraining(true)
	before := s.OverloadStats()
	ds := DrainStats{Accepted: before.InFlight + before.Queue}
	s.log.Info("draining", "in_flight", before.InFlight, "queued", before.Queue)
	s.onLoops(func(l *loop) { l.endStreams() })
	var err error
	for {
		// Calls admitted here, and anything else on the worker pool (task
		// runs) that is not a handler already abandoned at its deadline.
		st := s.OverloadStats()
		if st.InFlight+st.Queue == 0 && int64(s.r.Pool().Running()) <= s.r.Stats().Stuck {
			break
		}
		select {
		case <-ctx.Done():
			err = ctx.Err()
			s.onLoops(func(l *loop) { s.r.CutOff(l.shard) })
		case <-time.After(drainPoll):
			continue
		}
		break
	}
	if err == nil {
		s.lameDuck(ctx)
	}
	// The last answers were posted to their loops; give the loops one
	// round to write them before closing.
	s.flushLoops()
	// A cluster node hands its legacy sessions to the others, now that no
	// handler of theirs runs, before the loops stop. A drain that ran out
	// of budget (calls cut off) still hands them over, within a grace of
	// its own: a session left behind would wait for the failure detector.
	hctx := ctx
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		hctx, cancel = context.WithTimeout(context.Background(), handOverGrace)
		defer cancel()
	}
	if herr := s.handOver(hctx); herr != nil {
		s.log.Warn("session handover incomplete", "err", herr)
	}
	after := s.OverloadStats()
	ds.Answered = after.Completed - before.Completed
	ds.Refused = after.RefusedTotal - before.RefusedTotal
	ds.CutOff = after.CutOff - before.CutOff
	s.log.Info("drained", "accepted", ds.Accepted, "answered", ds.Answered, "refused", ds.Refused, "cut_off", ds.CutOff)
	return ds, err
}

// drainQuiet is how long a drain goes on refusing after the admitted calls
// ended, counted from the last refusal: long enough for every client still
// sending to read its refusal and stop.
const drainQuiet = 100 * time.Millisecond

// lameDuck keeps the connections open, refusing what arrives, until no
// request was refused for drainQuiet (or ctx ends). Closing as soon as the
// admitted calls ended would cut off requests still on their way, which no
// one would answer: the clients would see their calls silently lost. A
// client told "shutdown" stops sending, so the quiet comes within a
// round trip or two of the last one.
func (s *Server) lameDuck(ctx context.Context) {
	last := s.OverloadStats().RefusedTotal
	quiet := time.Now()
	for time.Since(quiet) < drainQuiet {
		select {
		case <-ctx.Done():
			return
		case <-time.After(drainPoll):
		}
		if n := s.OverloadStats().RefusedTotal; n != last {
			last, quiet = n, time.Now()
		}
	}
}

// onLoops runs fn on every bound loop and waits (at most a second) until
// all have.
func (s *Server) onLoops(fn func(l *loop)) {
	var wg sync.WaitGroup
	for i := range s.slots {
		l := s.slots[i].Load()
		if l == nil {
			continue
		}
		wg.Add(1)
		if l.shard.Post(func() { fn(l); wg.Done() }) != nil {
			wg.Done()
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Second):
	}
}

// OverloadStats sums the admission and overload counters of the server's
// loops (safe from any goroutine; a metrics scrape calls it).
func (s *Server) OverloadStats() router.Stats {
	var st router.Stats
	for _, sh := range s.shards {
		st.Add(s.r.LoopStats(sh))
	}
	return st
}

// streamEndRetryMs is the retry hint of the final event of a stream ended
// by a drain: reconnect (to another instance) after a second.
const streamEndRetryMs = 1000

// endStreams ends the SSE streams of loop l that would never end by
// themselves — legacy GET streams of the sessions it owns, modern listens
// on its connections — with a final event that tells the client when to
// reconnect. Streams of running requests end with their answer. Loop
// goroutine.
func (l *loop) endStreams() {
	final := http1.AppendSSEComment(nil, "server shutting down")
	final = http1.AppendSSERetry(final, nil, streamEndRetryMs)
	for _, hs := range l.sessions {
		for _, st := range hs.streams {
			st.closeWith(final)
		}
		hs.streams = nil
	}
	for hc := range l.sse {
		ex := hc.ex
		if hc.closing || ex == nil || !ex.modern || ex.done || ex.session == nil || !ex.session.Listening() {
			continue
		}
		ex.done = true
		hc.write(final)
		hc.write(http1.AppendLastChunk(nil))
		hc.flush()
		hc.closing = true
		_ = hc.c.Close()
	}
}

// Stage returns the overload manager's current stage.
func (s *Server) Stage() Stage { return Stage(s.stage.Load()) }

// StageChanges returns how many times the stage changed.
func (s *Server) StageChanges() uint64 { return s.stageChanges.Load() }

// HeapLive returns the live heap the overload manager sampled last (0
// when it is off).
func (s *Server) HeapLive() int64 { return s.heapLive.Load() }

// MemoryBudget returns the budget the overload manager works against
// (<= 0: off).
func (s *Server) MemoryBudget() int64 { return s.cfg.MemoryBudget }

// DrainTimeout returns the budget of a drain started by a signal.
func (s *Server) DrainTimeout() time.Duration { return s.cfg.DrainTimeout }
