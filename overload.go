package densemcp

import (
	"time"

	"github.com/densemcp/densemcp/engine"
	"github.com/densemcp/densemcp/router"
)

// OverloadStats are the admission and overload counters of the transports
// serving now, summed over their event loops (Server.OverloadStats). The
// counters count since each transport started; the gauges are this
// moment's.
type OverloadStats struct {
	// Admitted counts blocking calls started on the worker pool; Queued
	// those that waited in a loop's queue first; Completed those whose
	// answer was sent (or dropped because the client had gone).
	Admitted, Queued, Completed uint64
	// Refused counts refused requests by reason, the data.reason of the
	// refusal: "concurrency", "queue_timeout", "loop_limit",
	// "client_limit", "client_share", "workers", "memory", "shutdown"
	// (every reason is present, zero or not). RefusedTotal is their sum.
	Refused      map[string]uint64
	RefusedTotal uint64
	// HandlerTimeouts counts calls answered with a timeout error while
	// their handler still ran; CutOff calls still running when a drain's
	// budget ended.
	HandlerTimeouts, CutOff uint64
	// Deferred counts loop passes that left a connection's further
	// messages for the next pass (fair share); ShedConnections the
	// connections closed by the overload manager for the size of their
	// unsent output.
	Deferred, ShedConnections uint64

	// InFlight is the blocking calls running now, Queue those waiting,
	// Limit the loops' concurrency limits summed, Stuck the handlers past
	// their deadline that have not returned yet.
	InFlight, Queue, Limit, Stuck int64
	// MinRTT is the smallest handler latency the adaptive limit has
	// measured (the largest over loops).
	MinRTT time.Duration

	// The overload manager of the network transport (zero over stdio, or
	// when Options.Engine.MemoryBudget turns it off): its stage now, how
	// often the stage changed, and the live heap it sampled last.
	MemoryStage  engine.Stage
	StageChanges uint64
	HeapLive     int64
	// LastDrain counts what the network transport's drain did, once
	// Shutdown (or the end of ctx) has drained it.
	LastDrain engine.DrainStats
}

// OverloadStats sums the admission and overload counters of the serving
// transports' loops at this moment (for a metrics scrape or a test); all
// zero when none is serving.
func (s *Server) OverloadStats() OverloadStats {
	engines, stdios := s.live.list()
	var st router.Stats
	for _, e := range engines {
		o := e.OverloadStats()
		st.Merge(&o)
	}
	for _, sd := range stdios {
		o := sd.OverloadStats()
		st.Merge(&o)
	}
	out := OverloadStats{
		Admitted: st.Admitted, Queued: st.Queued, Completed: st.Completed,
		Refused: make(map[string]uint64, router.NumRefusals), RefusedTotal: st.RefusedTotal,
		HandlerTimeouts: st.HandlerTimeouts, CutOff: st.CutOff,
		Deferred: st.Deferred, ShedConnections: st.ShedConnections,
		InFlight: st.InFlight, Queue: st.Queue, Limit: st.Limit, Stuck: st.Stuck,
		MinRTT: time.Duration(st.MinRTTMicros) * time.Microsecond,
	}
	for w := range router.NumRefusals {
		out.Refused[w.String()] = st.Refused[w]
	}
	if len(engines) > 0 {
		e := engines[0]
		out.MemoryStage, out.StageChanges, out.HeapLive = e.Stage(), e.StageChanges(), e.HeapLive()
		out.LastDrain = e.LastDrain()
	}
	return out
}

// liveEngine returns the network transport serving now (nil when none):
// its overload stage, drains and connection counters, for tests.
func (s *Server) liveEngine() *engine.Server {
	if engines, _ := s.live.list(); len(engines) > 0 {
		return engines[0]
	}
	return nil
}
