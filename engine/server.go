// Package engine runs MCP transports: gnet reactor loops (one per core) for
// TCP newline-delimited JSON, and a single-shard loop for stdio. It frames
// bytes into messages, hands them to the router on the connection's own
// loop, and enforces the per-connection limits gnet leaves to us.
package engine

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/codec/http1"
	"github.com/densemcp/densemcp/codec/partial"
	"github.com/densemcp/densemcp/router"
	"github.com/densemcp/densemcp/shards"
	"github.com/panjf2000/gnet/v2"
	"github.com/panjf2000/gnet/v2/pkg/logging"
)

// Server serves MCP over TCP NDJSON on gnet loops.
type Server struct {
	gnet.BuiltinEventEngine

	r   *router.Router
	cfg Config
	log *slog.Logger
	// Stats are written by every loop as connections open and close; the
	// configuration around them is read on every message. Whole cache
	// lines on both sides keep those reads from missing after each write.
	_     [cacheLine]byte
	Stats Stats
	_     [cacheLine]byte

	shards []*shards.Shard // one per loop, bound to loops on first sight
	execs  []*loopExec
	slots  []atomic.Pointer[loop] // loop of each shard index, once bound

	draining  atomic.Bool   // set by Shutdown: refuse new connections and requests
	tickEvery time.Duration // the sweep's interval, see tickFor
	budget    *partial.Budget
	// timing: the router times requests, so loops stamp Shard.Arrived.
	timing bool
	// debug: connection events are logged (checked once, not per event).
	debug  bool
	limits limitLog

	snapMu   sync.Mutex // guards lastSnap (scrapes only)
	lastSnap []LoopSnapshot

	// Overload manager (overload.go): the stage the loops read, the last
	// live heap sampled, how often the stage changed.
	stage        atomic.Int32
	heapLive     atomic.Int64
	stageChanges atomic.Uint64
	mon          *monitor
	drain        drainState

	httpAddr  string
	tcpAddr   string
	http      *httpState // nil when HTTP is not served
	startOnce sync.Once  // the first tick marks the server started

	listenersOnly bool // ServeListeners: gnet's own listener serves no one

	cluster Cluster  // nil: a single node (see cluster.go)
	adopted sync.Map // ids of sessions adopted from lost nodes (cluster only)

	mu      sync.Mutex // guards loops and eng during binding/start/stop
	loops   map[gnet.EventLoop]*loop
	eng     gnet.Engine
	started chan struct{}
	booted  bool
}

// New returns a server for router r. Its shards are attached to r at once,
// so tools may be registered before or after Serve.
func New(r *router.Router, cfg Config, log *slog.Logger) *Server {
	cfg.setDefaults()
	if cfg.Loops <= 0 {
		cfg.Loops = runtime.GOMAXPROCS(0)
	}
	if log == nil {
		log = slog.Default()
	}
	s := &Server{r: r, cfg: cfg, log: log, loops: make(map[gnet.EventLoop]*loop), started: make(chan struct{}),
		tickEvery: tickFor(cfg.Timeouts, cfg.Linger),
		timing:    r.Observing(), debug: log.Enabled(context.Background(), slog.LevelDebug)}
	s.budget = newBudget(&s.cfg)
	s.drain.done = make(chan struct{})
	s.execs = make([]*loopExec, cfg.Loops)
	s.slots = make([]atomic.Pointer[loop], cfg.Loops)
	s.shards = make([]*shards.Shard, cfg.Loops)
	for i := range s.shards {
		s.execs[i] = &loopExec{}
		s.shards[i] = r.NewShard(s.execs[i])
	}
	return s
}

// ServeTCP listens on addr ("127.0.0.1:7070") and serves NDJSON until Stop.
// It blocks.
func (s *Server) ServeTCP(addr string) error { return s.Serve(addr, "") }

// Serve listens for NDJSON on tcpAddr and Streamable HTTP on httpAddr
// (either may be empty) on the same loops, until Stop. It blocks.
func (s *Server) Serve(tcpAddr, httpAddr string) error {
	if err := CheckListen(tcpAddr, httpAddr, s.cfg.ReusePort); err != nil {
		return err
	}
	s.tcpAddr = tcpAddr
	var addrs []string
	if tcpAddr != "" {
		addrs = append(addrs, "tcp://"+tcpAddr)
	}
	if httpAddr != "" {
		addrs = append(addrs, "tcp://"+httpAddr)
		s.httpAddr = httpAddr
		s.http = newHTTPState(s, httpAddr)
	}
	opts := []gnet.Option{
		gnet.WithNumEventLoop(s.cfg.Loops),
		// One listener per address and an accepting reactor that hands
		// connections to the loop with the fewest, so the bind is
		// exclusive: a second server on the port fails instead of
		// silently sharing it. With ReusePort (Linux): one SO_REUSEPORT
		// listener per loop and the kernel spreads connections.
		gnet.WithReusePort(s.cfg.ReusePort),
		// SO_REUSEADDR, as Go's own listeners set it: a server restarted
		// on its port binds while the connections the old one closed (a
		// drain closes every one) sit in TIME_WAIT there, instead of
		// failing for a minute. On Linux it lets no second listener share
		// the port, so the bind stays exclusive.
		gnet.WithReuseAddr(true),
		gnet.WithLoadBalancing(gnet.LeastConnections),
		gnet.WithTCPNoDelay(gnet.TCPNoDelay),
		gnet.WithLogLevel(logging.ErrorLevel),
		gnet.WithTCPKeepAlive(time.Minute),
		gnet.WithTicker(true),
		gnet.WithLogger(quietLogger{}),
	}
	s.startMonitor()
	err := gnet.Rotate(s, addrs, opts...)
	if s.mon != nil {
		s.mon.stop() // Shutdown stops it too; Rotate may also fail to start
	}
	if err != nil {
		// gnet's own bind errors can be unhelpful (with keep-alive on, a
		// failed bind is reported as "setsockopt: bad file descriptor"):
		// if the address was taken since the check, say so.
		if cerr := CheckListen(tcpAddr, httpAddr, s.cfg.ReusePort); cerr != nil {
			return cerr
		}
		return fmt.Errorf("engine: cannot serve: %w", err)
	}
	return nil
}

// OnTick runs on gnet's ticker goroutine; it posts the periodic work
// (SSE heartbeats, idle session expiry) to each loop, where the state is.
func (s *Server) OnTick() (time.Duration, gnet.Action) {
	// gnet starts the ticker once every listener is bound and every loop
	// runs (with ReusePort, loops bind their listeners after OnBoot), so
	// the first tick is when the server is really serving.
	s.startOnce.Do(s.markStarted)
	s.tick()
	return s.tickEvery, gnet.None
}

// tickInterval is how often periodic work runs (at most; see tickFor).
const tickInterval = time.Second

// OnBoot records the engine so Stop can end it.
func (s *Server) OnBoot(eng gnet.Engine) gnet.Action {
	s.mu.Lock()
	s.eng = eng
	s.booted = true
	s.mu.Unlock()
	return gnet.None
}

// markStarted logs that the server serves and releases WaitStarted.
func (s *Server) markStarted() {
	args := []any{"loops", s.cfg.Loops}
	if s.httpAddr != "" {
		args = append(args, "http", s.httpAddr, "endpoint", s.http.cfg.Endpoint)
	}
	if s.tcpAddr != "" {
		args = append(args, "tcp", s.tcpAddr)
	}
	if s.cfg.ReusePort {
		args = append(args, "reuse_port", true)
	}
	s.log.Info("serving MCP", args...)
	close(s.started)
}

// WaitStarted blocks until every listener is bound and the loops run, or
// ctx ends.
func (s *Server) WaitStarted(ctx context.Context) error {
	select {
	case <-s.started:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// flushLoops waits until every bound loop has run a task that writes its
// held answers, so tasks posted before it (answers of finished handlers)
// have run and what they sent has been written.
func (s *Server) flushLoops() {
	s.onLoops(func(l *loop) { l.flushHeld() })
}

// loopOf returns the loop state of gnet loop el, binding el to the next
// free shard on first sight. gnet v2.9.7 does not expose a loop's index, so
// the first connection on each loop makes the binding; this runs once per
// connection, never per message.
func (s *Server) loopOf(el gnet.EventLoop) *loop {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.loops[el]; ok {
		return l
	}
	id := len(s.loops)
	if id >= len(s.shards) {
		panic(fmt.Sprintf("BUG: more gnet loops (%d) than shards (%d)", id+1, len(s.shards)))
	}
	s.execs[id].bind(el)
	l := s.newLoop(id)
	s.loops[el] = l
	return l
}

// newLoop creates the state of loop id and binds it to shard id.
func (s *Server) newLoop(id int) *loop {
	l := &loop{srv: s, shard: s.shards[id], idx: id,
		sessions: make(map[string]*httpSession), sse: make(map[*httpConn]struct{})}
	l.flushHeldFn = l.flushHeld
	s.slots[id].Store(l)
	return l
}

// loopByIndex returns the loop bound to shard index i, or nil if no
// connection has reached that loop yet (then it owns no session).
func (s *Server) loopByIndex(i int) *loop { return s.slots[i].Load() }

// loop is the per-event-loop state: the shard and the reusable decode and
// write buffers of that loop. Only its own goroutine touches it.
type loop struct {
	srv   *Server
	shard *shards.Shard
	idx   int
	dec   codec.Decoder
	msg   codec.Message
	// batch collects the answers of one OnTraffic so they leave in a
	// single write(2).
	batch []byte
	wbuf  []byte // HTTP response scratch

	// Streamable HTTP state owned by this loop.
	sessions map[string]*httpSession // legacy sessions whose id maps here
	sse      map[*httpConn]struct{}  // connections carrying SSE, for heartbeats
	reqs     []*http1.Request        // free parse states: only connections
	// mid-request hold one, so idle keep-alive connections cost none.
	freeEx     []*exchange // finished legacy POST exchanges, see getExchange
	freeModern []*exchange // finished modern POST exchanges with their sessions
	unq        []byte      // scratch for unquoted header checks
	rbuf       []byte      // refusal scratch

	// watched are the loop's connections, visited by sweep (timeouts.go)
	// and by snapshots (metrics.go).
	watched []watched
	// parts are free buffers for NDJSON lines spanning reads (budget.go);
	// a connection holds one only while a line is incomplete.
	parts []*partial.Buffer

	stats loopStats

	kick   kicker                 // resumes passes cut by the budget (fairshare.go)
	idle   idler                  // parks the loop off its P (idle.go)
	events int                    // traffic events since the last yield (yield.go)
	heavy  map[heavyConn]struct{} // connections with large unsent queues (overload.go)

	// dirty are the NDJSON connections holding answers for the flush
	// task, queued when flushQueued (held.go).
	dirty       []*conn
	flushQueued bool
	flushHeldFn func()
}

func (l *loop) getPart() *partial.Buffer {
	if n := len(l.parts); n > 0 {
		p := l.parts[n-1]
		l.parts = l.parts[:n-1]
		return p
	}
	return &partial.Buffer{}
}

// putPart gives back p's budget count and keeps it for reuse (with its
// small first segment, so lines split by reads cost no pool round trip).
func (l *loop) putPart(p *partial.Buffer) {
	p.Reset(l.srv.budget)
	if len(l.parts) < maxFreeRequests {
		l.parts = append(l.parts, p)
	} else {
		p.Release(nil)
	}
}

// maxFreeRequests bounds the loop's pool of parse states.
const maxFreeRequests = 256

func (l *loop) getRequest() *http1.Request {
	if n := len(l.reqs); n > 0 {
		r := l.reqs[n-1]
		l.reqs = l.reqs[:n-1]
		return r
	}
	return &http1.Request{}
}

func (l *loop) putRequest(r *http1.Request) {
	r.Reset()
	if len(l.reqs) < maxFreeRequests {
		l.reqs = append(l.reqs, r)
	} else {
		r.Release()
	}
}
