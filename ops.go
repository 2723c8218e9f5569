package densemcp

import (
	"errors"
	"slices"
	"sync"

	"github.com/densemcp/densemcp/engine"
	"github.com/densemcp/densemcp/ops"
)

// liveTransports are the transports a Server runs now, and the admin
// listener they share.
type liveTransports struct {
	mu        sync.Mutex
	engines   []*engine.Server
	stdios    []*engine.Stdio
	stopAdmin func()
}

// serving records a transport that starts serving, starting the admin
// listener with the first; done forgets it, stopping the listener with
// the last.
func (s *Server) serving(e *engine.Server, st *engine.Stdio) (done func(), err error) {
	lt := &s.live
	lt.mu.Lock()
	defer lt.mu.Unlock()
	if s.opts.AdminAddr != "" && len(lt.engines)+len(lt.stdios) == 0 {
		if lt.stopAdmin, err = ops.StartAdmin(s.opts.AdminAddr, s, s.opts.Logger); err != nil {
			return nil, err
		}
	}
	if e != nil {
		lt.engines = append(lt.engines, e)
	}
	if st != nil {
		lt.stdios = append(lt.stdios, st)
	}
	return func() {
		lt.mu.Lock()
		defer lt.mu.Unlock()
		lt.engines = slices.DeleteFunc(lt.engines, func(x *engine.Server) bool { return x == e })
		lt.stdios = slices.DeleteFunc(lt.stdios, func(x *engine.Stdio) bool { return x == st })
		if len(lt.engines)+len(lt.stdios) == 0 && lt.stopAdmin != nil {
			lt.stopAdmin()
			lt.stopAdmin = nil
		}
	}, nil
}

func (lt *liveTransports) list() ([]*engine.Server, []*engine.Stdio) {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	return slices.Clone(lt.engines), slices.Clone(lt.stdios)
}

// Snapshot copies the counters of every event loop of the transports
// serving now (stdio sessions count as one loop each), each read on its
// own loop. Request counters need Options.Metrics (or AdminAddr).
func (s *Server) Snapshot() engine.Snapshot {
	engines, stdios := s.live.list()
	var out engine.Snapshot
	for _, e := range engines {
		snap := e.Snapshot()
		out.Loops = append(out.Loops, snap.Loops...)
		out.Draining = out.Draining || snap.Draining
		out.Memory.Merge(snap.Memory)
	}
	for _, st := range stdios {
		if ls, ok := st.Snapshot(); ok {
			out.Loops = append(out.Loops, ls)
		}
	}
	return out
}

// Errors Ready reports.
var (
	// ErrNotServing: no transport is serving (not started, or stopped).
	ErrNotServing = errors.New("not serving")
	// ErrDraining: the server is stopping and refuses new connections.
	ErrDraining = errors.New("draining")
	// ErrOverloaded: the overload manager refuses new connections for
	// lack of memory (engine.StageRefuseConnections or above).
	ErrOverloaded = errors.New("overloaded: refusing new connections for memory")
)

// Ready reports whether the server should get traffic: nil while a
// transport is serving and none is draining or shedding load for memory.
func (s *Server) Ready() error {
	engines, stdios := s.live.list()
	if len(engines)+len(stdios) == 0 {
		return ErrNotServing
	}
	started := len(stdios) > 0
	for _, e := range engines {
		if e.Draining() {
			return ErrDraining
		}
		if e.Stage() >= engine.StageRefuseConnections {
			return ErrOverloaded
		}
		started = started || e.Started()
	}
	if !started {
		return ErrNotServing
	}
	return nil
}

// ToolLabels returns the tool names that label request metrics, by the
// label id in engine snapshots (router.ToolLabelName).
func (s *Server) ToolLabels() []string { return s.r.ToolLabels() }

// Workers returns the blocking handlers running now and the pool's size.
func (s *Server) Workers() (running, capacity int) {
	return s.r.Pool().Running(), s.r.Pool().Cap()
}

var _ ops.Source = (*Server)(nil)
