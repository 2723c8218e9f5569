// Package densemcp is a high-density Model Context Protocol server for Go:
// gnet reactor loops (one per core) decode framed JSON-RPC into per-core
// shards that own their state without locks, so one machine serves many
// thousands of MCP clients with little memory.
//
// A Server speaks both MCP eras — the stateless 2026-07-28 revision, where
// every request carries its protocol version and client capabilities, and
// the session-based revisions 2024-11-05 to 2025-11-25 — over three
// transports:
//
//   - Streamable HTTP (POST, GET streams, DELETE, SSE), on the event loops
//     (ListenAndServeHTTP), or through net/http to mount on a mux the
//     program already has (Handler);
//   - newline-delimited JSON over TCP, one connection one session
//     (ListenAndServeTCP);
//   - stdio, one session on a reader and a writer (ServeStdio).
//
// Register tools (AddTool infers JSON Schemas from Go types; AddRawTool
// takes raw JSON, the allocation-free path), resources and templates
// (AddResource, AddResourceTemplate), and prompts (AddPrompt). Handlers get
// the request's context first and a *Request that reaches back to the
// client: progress, logging, elicitation, sampling and roots, in either
// era. Middleware (AddReceivingMiddleware, AddSendingMiddleware) runs
// around every message.
//
//	s := densemcp.NewServer(densemcp.Implementation{Name: "demo", Version: "1.0.0"}, nil)
//	densemcp.AddTool(s, &densemcp.Tool{Name: "greet", Description: "Say hello"},
//		func(ctx context.Context, req *densemcp.Request, in Greet) (Reply, error) {
//			return Reply{Text: "hello " + in.Name}, nil
//		})
//	err := s.ListenAndServeHTTP(ctx, "127.0.0.1:8080") // http://127.0.0.1:8080/mcp
package densemcp

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/densemcp/densemcp/auth"
	"github.com/densemcp/densemcp/cluster"
	"github.com/densemcp/densemcp/engine"
	"github.com/densemcp/densemcp/pool"
	"github.com/densemcp/densemcp/router"
)

// Options configure a Server. A nil *Options means all defaults.
type Options struct {
	// Instructions tell the client's model how to use the server.
	Instructions string
	// PageSize bounds list pages (default router.DefaultPageSize).
	PageSize int
	// Workers bounds concurrent blocking handlers (default pool.DefaultWorkers).
	Workers int
	// HandlerTimeout cancels a blocking handler's context after this long
	// (default router.DefaultHandlerTimeout).
	HandlerTimeout time.Duration
	// Engine holds the transports' limits: loops, message and buffer sizes,
	// connections, timeouts, and the HTTP endpoint's (package engine
	// documents each field and its default).
	Engine engine.Config
	// Logger receives the server's own logs (default slog.Default()).
	Logger *slog.Logger
	// RootsListChanged is called when a legacy client says its roots
	// changed (on the session's event loop: it must not block; a handler
	// that needs the new roots calls Request.ListRoots).
	RootsListChanged func(ctx context.Context, s *Session)

	// Tasks (tools with Execution.TaskSupport; see README "Tasks").
	// TaskTTL: how long a task and its result are kept after creation
	// (default router.DefaultTaskTTL, 30 min). MaxTasks: live tasks at most,
	// all loops together (default router.DefaultMaxTasks, 100,000; past it
	// the oldest finished task of the loop is dropped, or a new one refused
	// with -32000). TaskPollInterval: the polling interval suggested to
	// clients (default router.DefaultTaskPollInterval, 500 ms).
	TaskTTL          time.Duration
	MaxTasks         int
	TaskPollInterval time.Duration

	// Skills (see README "Skills"). SkillsDir: a directory of skills
	// (each subdirectory holding a SKILL.md) served while the server runs
	// (default none). SkillsPollInterval: how often it is looked at again
	// for changes (default DefaultSkillsPollInterval, 2 s; negative: never).
	SkillsDir          string
	SkillsPollInterval time.Duration

	// Router limits. ListTTL: ttlMs on modern list and read results
	// (default router.DefaultListTTLMs, 1 min; negative: 0, immediately
	// stale). ClientRequestTimeout: how long a handler waits for the
	// client's answer to elicitation, sampling or roots (legacy era;
	// default router.DefaultClientRequestTimeout, 2 min).
	// ResourceSubscriptionsPerSession: resources/subscribe URIs one legacy
	// session may hold (default router.DefaultResourceSubscriptions, 1024).
	// RetryAfter: the retry hint of a "server busy" refusal when every
	// worker is busy (default pool.DefaultRetryAfter, 100 ms).
	ListTTL                         time.Duration
	ClientRequestTimeout            time.Duration
	ResourceSubscriptionsPerSession int
	RetryAfter                      time.Duration

	// StateKeys sign the modern era's requestState, the answers of earlier
	// input rounds that travel with a retried request (HMAC-SHA256; each key
	// at least router.MinStateKeyBytes, 32): the first signs, every one
	// verifies. Replicas behind one load balancer must share them, since a
	// retry may reach any of them. nil: a random key per process. Rotate
	// while serving with Server.SetStateKeys. NewServer panics on a key
	// that is too short.
	StateKeys [][]byte

	// Middleware (see Middleware): the chains a server starts with;
	// Server.AddReceivingMiddleware and AddSendingMiddleware add more.
	ReceivingMiddleware []Middleware
	SendingMiddleware   []Middleware

	// Auth turns authorization on (nil: off): OAuth 2.1 bearer tokens on
	// Streamable HTTP checked before the router runs, the protected
	// resource metadata, required scopes per tool (Tool.Scopes and
	// Auth.ToolScopes) and per method, and a static token that stdio and
	// TCP NDJSON sessions must present when Auth.StaticToken is set. See
	// the README's Authorization section.
	Auth *auth.Config

	// Cluster, if set, makes Serve join a cluster of servers over NATS:
	// legacy sessions usable through any node, notifications raised on any
	// node heard by every node's listeners (README: "Running a cluster").
	Cluster *ClusterConfig

	// Operations (see ops.go and the ops package).
	//
	// AdminAddr serves /metrics (Prometheus), /healthz, /readyz,
	// /dashboard and /debug/pprof/ on a side listener, never an MCP port
	// ("" = none). It turns Metrics on.
	AdminAddr string
	// Metrics counts and times every request on its event loop (method,
	// tool, error type, transport), read at scrape time (Server.Snapshot,
	// ops.NewCollector). Off, requests read no clock.
	Metrics bool
	// Tracer starts one span per request, the handler's context carrying
	// it (ops/tracing makes an OpenTelemetry one); nil = no tracing.
	Tracer router.Tracer

	// Admission control of blocking handlers (Engine holds the rest of the
	// overload options: MessagesPerPass, MemoryBudget, DrainTimeout).
	//
	// MaxInFlightPerConn bounds one client's (a TCP or stdio connection, a
	// legacy HTTP session) blocking calls running or queued; more are
	// refused as over its share: HTTP 429, or -32000 with reason
	// "client_limit" (default router.DefaultMaxInFlightPerSession).
	MaxInFlightPerConn int
	// MaxInFlightPerLoop bounds one event loop's blocking calls running or
	// queued; more are refused before decoding: HTTP 503, or -32000 with
	// reason "loop_limit" (default router.DefaultMaxInFlightPerLoop).
	MaxInFlightPerLoop int
	// ConcurrencyLimit pins each loop's limit on blocking handlers running
	// at once; 0 (default) adapts it to measured handler latency.
	ConcurrencyLimit int
	// MaxQueueWait bounds how long a blocking call waits for a slot under
	// the limit before it is refused; 0 (default) means twice the measured
	// minimum handler latency, between 1 ms and 1 s.
	MaxQueueWait time.Duration
}

// Server is an MCP server: a registry of tools and the transports serving it.
type Server struct {
	r    *router.Router
	opts Options

	mu                 sync.Mutex // guards the middleware chains
	receiving, sending []Middleware
	node               atomic.Pointer[cluster.Node] // while serving as a cluster node

	handlerOnce sync.Once
	handler     *engine.NetHTTP // Handler's, once asked for

	live liveTransports // what Snapshot and Ready look at
}

// NewServer returns a server described by info.
func NewServer(info Implementation, opts *Options) *Server {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	p := pool.New(o.Workers)
	if o.RetryAfter > 0 {
		p.RetryAfter = o.RetryAfter
	}
	listTTL := int(o.ListTTL.Milliseconds())
	if o.ListTTL < 0 {
		listTTL = -1 // the router's "immediately stale"
	} else if o.ListTTL > 0 && listTTL == 0 {
		listTTL = 1
	}
	r := router.New(implementationToRouter(info), router.Options{
		Instructions:                    o.Instructions,
		PageSize:                        o.PageSize,
		ListTTLMs:                       listTTL,
		Pool:                            p,
		HandlerTimeout:                  o.HandlerTimeout,
		ClientRequestTimeout:            o.ClientRequestTimeout,
		ResourceSubscriptionsPerSession: o.ResourceSubscriptionsPerSession,
		StateKeys:                       o.StateKeys,
		RootsListChanged:                rootsListChangedToRouter(o.RootsListChanged),
		TaskTTL:                         o.TaskTTL,
		MaxTasks:                        o.MaxTasks,
		TaskPollInterval:                o.TaskPollInterval,
		Auth:                            authPolicy(o.Auth),
		Metrics:                         o.Metrics || o.AdminAddr != "",
		Tracer:                          o.Tracer,

		MaxInFlightPerSession: o.MaxInFlightPerConn,
		MaxInFlightPerLoop:    o.MaxInFlightPerLoop,
		Concurrency:           pool.LimitConfig{Fixed: o.ConcurrencyLimit},
		MaxQueueWait:          o.MaxQueueWait,
	})
	s := &Server{r: r, opts: o}
	s.receiving = append([]Middleware(nil), o.ReceivingMiddleware...)
	s.sending = append([]Middleware(nil), o.SendingMiddleware...)
	if len(s.receiving)+len(s.sending) > 0 {
		s.installHooks()
	}
	return s
}

// ListenAndServe listens for newline-delimited JSON on tcpAddr and
// Streamable HTTP on httpAddr (either may be empty; HTTP's endpoint is
// Options.Engine.HTTP.Endpoint, /mcp by default), serving both on the same
// event loops, until ctx is done or Shutdown is called. When ctx is done
// it drains first, as Shutdown does, for at most
// Options.Engine.DrainTimeout, then closes every connection and returns
// nil. An address that is malformed or taken is an error at once.
func (s *Server) ListenAndServe(ctx context.Context, tcpAddr, httpAddr string) error {
	return s.serveLoops(ctx, httpAddr != "", func(e *engine.Server) error { return e.Serve(tcpAddr, httpAddr) })
}

// ListenAndServeTCP serves newline-delimited JSON on addr until ctx is
// done (ListenAndServe).
func (s *Server) ListenAndServeTCP(ctx context.Context, addr string) error {
	return s.ListenAndServe(ctx, addr, "")
}

// ListenAndServeHTTP serves Streamable HTTP, both eras, on addr until ctx
// is done (ListenAndServe).
func (s *Server) ListenAndServeHTTP(ctx context.Context, addr string) error {
	return s.ListenAndServe(ctx, "", addr)
}

// Serve is ListenAndServe.
//
// Deprecated: use ListenAndServe; Serve will be removed in the next release.
func (s *Server) Serve(ctx context.Context, tcpAddr, httpAddr string) error {
	return s.ListenAndServe(ctx, tcpAddr, httpAddr)
}

// ServeTCP is ListenAndServeTCP.
//
// Deprecated: use ListenAndServeTCP; ServeTCP will be removed in the next
// release.
func (s *Server) ServeTCP(ctx context.Context, addr string) error {
	return s.ListenAndServeTCP(ctx, addr)
}

// ServeHTTP is ListenAndServeHTTP. Its name is net/http's with another
// meaning, which is why Server is not itself an http.Handler; Handler
// returns one.
//
// Deprecated: use ListenAndServeHTTP (or Handler to mount on a mux);
// ServeHTTP will be removed in the next release.
func (s *Server) ServeHTTP(ctx context.Context, addr string) error {
	return s.ListenAndServeHTTP(ctx, addr)
}

// serveLoops runs the event loops with serve (which blocks until Stop)
// until ctx is done, then drains them.
func (s *Server) serveLoops(ctx context.Context, withHTTP bool, serve func(e *engine.Server) error) error {
	cfg := s.opts.Engine
	if withHTTP && s.opts.Auth != nil {
		a, err := s.authorizer()
		if err != nil {
			return err
		}
		cfg.HTTP.Auth = a
	}
	if err := s.startSkills(ctx); err != nil {
		return err
	}
	e := engine.New(s.r, cfg, s.opts.Logger)
	done, err := s.serving(e, nil)
	if err != nil {
		return err
	}
	defer done()
	startCluster, leaveCluster, err := s.joinCluster(ctx, e)
	if err != nil {
		return err
	}
	if leaveCluster != nil {
		defer leaveCluster()
	}
	errc := make(chan error, 1)
	go func() { errc <- serve(e) }()
	var failed error
	if startCluster != nil {
		failed = startCluster()
	}
	if failed == nil {
		select {
		case err := <-errc:
			return err
		case <-ctx.Done():
		}
	}
	drainCtx, cancel := context.WithTimeout(context.Background(), e.DrainTimeout())
	defer cancel()
	if err := e.Shutdown(drainCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if err := <-errc; failed == nil {
		return err
	}
	return failed
}

// ServeStdio serves one session on in/out (usually os.Stdin/os.Stdout)
// until in ends, or ctx is done or Shutdown is called (then after a
// drain). Nothing but MCP messages is written to out; log to stderr.
func (s *Server) ServeStdio(ctx context.Context, in io.Reader, out io.Writer) error {
	if err := s.startSkills(ctx); err != nil {
		return err
	}
	st := engine.NewStdio(s.r, s.opts.Engine)
	done, err := s.serving(nil, st)
	if err != nil {
		return err
	}
	defer done()
	return st.Serve(ctx, in, out)
}

// SetStateKeys rotates the keys of the modern era's requestState while the
// server runs: keys[0] signs from now on, every key verifies, and a key no
// longer listed keeps verifying for router.RequestStateTTL (10 min, the
// longest a state it signed can be presented), so no round trip in
// progress breaks. Replicas behind one load balancer: list the new key
// second on every replica first, then first. Each key needs 32 bytes.
func (s *Server) SetStateKeys(keys ...[]byte) error { return s.r.SetStateKeys(keys...) }

// Shutdown drains the serving transports and stops them: new connections
// are refused; requests arriving on open connections are refused (HTTP
// 503 with Connection: close, or the JSON-RPC error -32000 with reason
// "shutdown"); SSE streams end with a final event; every call already
// admitted runs until it is answered or ctx ends, when those left are
// answered with a shutdown error. Serve then returns nil. It returns
// ctx's error if calls had to be cut off.
func (s *Server) Shutdown(ctx context.Context) error {
	engines, stdios := s.live.list()
	if len(engines)+len(stdios) == 0 {
		return ErrNotServing
	}
	var err error
	for _, e := range engines {
		if err2 := e.Shutdown(ctx); err == nil {
			err = err2
		}
	}
	for _, st := range stdios {
		if err2 := st.Shutdown(ctx); err == nil {
			err = err2
		}
	}
	return err
}

func rootsListChangedToRouter(f func(ctx context.Context, s *Session)) func(*router.Session) {
	if f == nil {
		return nil
	}
	return func(rs *router.Session) { f(context.Background(), sessionOf(rs)) }
}
