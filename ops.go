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
	// handler is Handler's net/http transport once asked for: its shards
	// are counted with the loops. nets are the http.Servers that
	// ServeListeners runs it on; netDraining those shutting down.
	handler           *engine.NetHTTP
	nets, netDraining int
	// mounted: Handler was called, so the program serves it on a server
	// of its own.
	mounted bool
}

// serving records a transport that starts serving, starting the admin
// listener with the first; done forgets it, stopping the listener with
// the last.
func (s *Server) serving(e *engine.Server, st *engine.Stdio) (done func(), err error) {
	lt := &s.live
	lt.mu.Lock()
	defer lt.mu.Unlock()
	if s.opts.AdminAddr != "" && len(lt.engines)+len(lt.stdios)+lt.nets == 0 {
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
		if len(lt.engines)+len(lt.stdios)+lt.nets == 0 && lt.stopAdmin != nil {
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

// servingNetHTTP records an http.Server that starts serving Handler (the
// admin listener starts with the first transport); draining marks it
// shutting down, done forgets it.
func (s *Server) servingNetHTTP() (draining, done func(), err error) {
	lt := &s.live
	lt.mu.Lock()
	defer lt.mu.Unlock()
	if s.opts.AdminAddr != "" && len(lt.engines)+len(lt.stdios)+lt.nets == 0 {
		if lt.stopAdmin, err = ops.StartAdmin(s.opts.AdminAddr, s, s.opts.Logger); err != nil {
			return nil, nil, err
		}
	}
	lt.nets++
	var once sync.Once
	draining = func() {
		once.Do(func() {
			lt.mu.Lock()
			lt.netDraining++
			lt.mu.Unlock()
		})
	}
	return draining, func() {
		draining()
		lt.mu.Lock()
		defer lt.mu.Unlock()
		lt.nets--
		lt.netDraining--
		if len(lt.engines)+len(lt.stdios)+lt.nets == 0 && lt.stopAdmin != nil {
			lt.stopAdmin()
			lt.stopAdmin = nil
		}
	}, nil
}

// netHTTP returns Handler's transport (nil until first used), whether it
// serves now (Handler was called, or ServeListeners runs it) and whether
// an http.Server of ServeListeners is shutting down.
func (lt *liveTransports) netHTTP() (h *engine.NetHTTP, serving, draining bool) {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	return lt.handler, lt.mounted || lt.nets > 0, lt.netDraining > 0
}

// mount records that Handler was called.
func (lt *liveTransports) mount() {
	lt.mu.Lock()
	lt.mounted = true
	lt.mu.Unlock()
}

// setHandler records Handler's transport, for Snapshot and Ready.
func (lt *liveTransports) setHandler(h *engine.NetHTTP) {
	lt.mu.Lock()
	lt.handler = h
	lt.mu.Unlock()
}

// Snapshot copies the counters of every event loop of the transports
// serving now (stdio sessions count as one loop each; Handler's net/http
// transport, once asked for, adds one per shard), each read on its own
// goroutine. Request counters need Options.Metrics (or AdminAddr).
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
	if h, _, draining := s.live.netHTTP(); h != nil {
		out.Loops = append(out.Loops, h.Snapshot()...)
		out.Draining = out.Draining || draining
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
// Handler, once called, counts as serving (the program serves it), and an
// http.Server of ServeListeners that shuts down as draining.
func (s *Server) Ready() error {
	engines, stdios := s.live.list()
	_, netServing, netDraining := s.live.netHTTP()
	if len(engines)+len(stdios) == 0 && !netServing {
		return ErrNotServing
	}
	if netDraining {
		return ErrDraining
	}
	started := len(stdios) > 0 || netServing
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
var _ ops.ClusterSource = (*Server)(nil)
