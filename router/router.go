// Package router is the MCP method table: it takes one decoded JSON-RPC
// message of a session, applies the era and lifecycle rules, runs the
// handler (inline on the loop, or on the worker pool when it may block) and
// writes the answer through the session's Transport.
package router

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/pool"
	"github.com/densemcp/densemcp/shards"
)

// DefaultHandlerTimeout bounds how long a blocking handler may run before
// its context is cancelled: long enough for an elicitation or sampling
// round trip with a human in it, short enough that a stuck handler cannot
// hold a worker forever.
const DefaultHandlerTimeout = 10 * time.Minute

// DefaultPageSize is how many items one page of a list result holds.
const DefaultPageSize = 100

// DefaultListTTLMs is the modern-era ttlMs on list results: lists change
// only when the server registers something, and then list_changed tells
// subscribers, so a minute of freshness is safe.
const DefaultListTTLMs = 60_000

// Implementation describes the server (serverInfo).
type Implementation struct {
	Name        string `json:"name"`
	Title       string `json:"title,omitempty"`
	Version     string `json:"version"`
	Description string `json:"description,omitempty"`
	WebsiteURL  string `json:"websiteUrl,omitempty"`
	Icons       []Icon `json:"icons,omitempty"`
}

// Options configure a Router. The zero value is usable.
type Options struct {
	// Instructions are sent in the initialize and server/discover results.
	Instructions string
	// PageSize bounds list pages (DefaultPageSize if <= 0).
	PageSize int
	// ListTTLMs is ttlMs on modern list results (DefaultListTTLMs if 0;
	// negative means 0, immediately stale).
	ListTTLMs int
	// Pool runs blocking handlers; a router without one makes its own.
	Pool *pool.Pool
	// HandlerTimeout bounds a blocking handler: its context is cancelled
	// after it (DefaultHandlerTimeout if 0).
	HandlerTimeout time.Duration
	// ClientRequestTimeout bounds a wait for the client's answer to
	// elicitation, sampling or roots (DefaultClientRequestTimeout if 0).
	ClientRequestTimeout time.Duration
	// StateKeys sign modern requestState blobs (HMAC-SHA256; statekeys.go):
	// the first signs, all verify. Servers behind one load balancer share
	// them; none means a random per-process key. Each needs
	// MinStateKeyBytes.
	StateKeys [][]byte
	// ResourceSubscriptionsPerSession bounds resources/subscribe URIs per
	// session (DefaultResourceSubscriptions if 0).
	ResourceSubscriptionsPerSession int
	// Auth is what the router enforces about authorization: required
	// scopes by tool and by method, and the static token of stdio and TCP
	// sessions. Scopes declared on tools, resources, templates and prompts
	// apply whenever a request carries a Principal.
	Auth AuthPolicy
	// MaxInFlightPerSession bounds one client's blocking calls running or
	// queued (DefaultMaxInFlightPerSession if 0): more are refused (429).
	MaxInFlightPerSession int
	// MaxInFlightPerLoop bounds one loop's blocking calls running or
	// queued (DefaultMaxInFlightPerLoop if 0): more are refused (503).
	MaxInFlightPerLoop int
	// Concurrency configures each loop's adaptive limit on blocking
	// handlers running at once (Fixed > 0 pins it; Max defaults to the
	// worker pool's size).
	Concurrency pool.LimitConfig
	// MaxQueueWait bounds how long a blocking call may wait for a slot
	// under the limit; 0 means twice the measured minimum handler latency,
	// between 1 ms and 1 s.
	MaxQueueWait time.Duration
	// RootsListChanged, if set, is called (on the session's shard; it must
	// not block) when a legacy client sends notifications/roots/list_changed.
	RootsListChanged func(s *Session)

	// Tasks (tasks.go). TaskTTL: how long a task and its result are kept
	// after creation (DefaultTaskTTL if 0). MaxTasks: live tasks at most
	// (DefaultMaxTasks if 0). TaskPollInterval: the poll interval suggested
	// to clients (DefaultTaskPollInterval if 0).
	TaskTTL          time.Duration
	MaxTasks         int
	TaskPollInterval time.Duration

	// Metrics counts and times every request per shard (method, tool,
	// error type, transport) for SnapshotShard. Off, requests read no clock.
	Metrics bool
	// Tracer, if set, starts a span per request (see Tracer).
	Tracer Tracer
}

// Router routes the messages of every session of one server.
type Router struct {
	info     Implementation
	opts     Options
	pool     *pool.Pool
	infoJSON []byte // serverInfo object, rendered once

	mu       sync.Mutex // guards registry and shards (registration path only)
	registry registry
	shards   []*shards.Shard
	// toolLabels are the metric labels of tools by id, toolLabelOf their
	// ids (see toolLabel); guarded by mu.
	toolLabels  []string
	toolLabelOf map[string]int32
	// local[i] is shard i's state: its replica of the catalog (the request path only
	// loads it: an atomic load is a plain MOV on amd64, no lock, no
	// contention; publish swaps in a new immutable snapshot) and its inline Request.
	local atomic.Pointer[[]*shardState]
	// taskPrefix leads the ids of the tasks created here: "<node>." in a
	// cluster (SetTaskNode), else nil or empty.
	taskPrefix atomic.Pointer[string]

	taskLive atomic.Int64 // tasks over all shards, for MaxTasks
	// hooks run around messages (middleware.go); nil: none.
	hooks atomic.Pointer[Hooks]
	// keys sign and verify requestState (statekeys.go); keyMu orders
	// their replacement.
	keys  atomic.Pointer[stateKeyring]
	keyMu sync.Mutex
	// changed hears every change raised here (SetChanged); guarded by mu.
	changed func(kind Change, key string)
	// draining: every new blocking call is refused (SetDraining).
	draining atomic.Bool
}

// New returns a router for a server described by info.
func New(info Implementation, opts Options) *Router {
	if opts.PageSize <= 0 {
		opts.PageSize = DefaultPageSize
	}
	if opts.HandlerTimeout <= 0 {
		opts.HandlerTimeout = DefaultHandlerTimeout
	}
	if opts.ClientRequestTimeout <= 0 {
		opts.ClientRequestTimeout = DefaultClientRequestTimeout
	}
	if opts.ResourceSubscriptionsPerSession <= 0 {
		opts.ResourceSubscriptionsPerSession = DefaultResourceSubscriptions
	}
	if opts.TaskTTL <= 0 {
		opts.TaskTTL = DefaultTaskTTL
	}
	if opts.MaxTasks <= 0 {
		opts.MaxTasks = DefaultMaxTasks
	}
	if opts.TaskPollInterval <= 0 {
		opts.TaskPollInterval = DefaultTaskPollInterval
	}
	if opts.ListTTLMs == 0 {
		opts.ListTTLMs = DefaultListTTLMs
	} else if opts.ListTTLMs < 0 {
		opts.ListTTLMs = 0
	}
	if opts.MaxInFlightPerSession <= 0 {
		opts.MaxInFlightPerSession = DefaultMaxInFlightPerSession
	}
	if opts.MaxInFlightPerLoop <= 0 {
		opts.MaxInFlightPerLoop = DefaultMaxInFlightPerLoop
	}
	r := &Router{info: info, opts: opts, pool: opts.Pool}
	if r.pool == nil {
		r.pool = pool.New(0)
	}
	if r.opts.Concurrency.Max <= 0 {
		r.opts.Concurrency.Max = r.pool.Cap()
	}
	var err error
	if r.infoJSON, err = codec.AppendJSON(nil, &info); err != nil {
		panic("BUG: cannot encode serverInfo: " + err.Error())
	}
	r.registry.init()
	if len(opts.StateKeys) == 0 {
		k := randomStateKey()
		r.keys.Store(&stateKeyring{sign: k, verify: [][]byte{k}})
	} else if err := r.SetStateKeys(opts.StateKeys...); err != nil {
		panic("densemcp: Options.StateKeys: " + err.Error())
	}
	return r
}

// Pool returns the worker pool of blocking handlers.
func (r *Router) Pool() *pool.Pool { return r.pool }

// NewShard creates the next shard of this router, running its tasks on
// exec, with a replica of the current catalog. Every transport makes its
// shards here, so shard IDs are unique across transports. Safe at any time.
func (r *Router) NewShard(exec shards.Executor) *shards.Shard {
	r.mu.Lock()
	defer r.mu.Unlock()
	sh := shards.New(len(r.shards), exec)
	r.shards = append(r.shards, sh)
	p := &shardState{shard: sh}
	p.tasks.shard = sh
	p.recv.r, p.recv.onLoop = r, true // for good: begin need not set them
	p.cat.Store(r.registry.snapshot())
	p.adm.init(sh, r.opts.Concurrency)
	// Copy-on-write table: readers load the table pointer, then the slot;
	// neither ever sees a slice being grown.
	var tab []*shardState
	if old := r.local.Load(); old != nil {
		tab = append(tab, *old...)
	}
	tab = append(tab, p)
	r.local.Store(&tab)
	return sh
}

// catalogOf returns shard sh's replica: two atomic loads, no lock.
func (r *Router) catalogOf(sh *shards.Shard) *catalog { return (*r.local.Load())[sh.ID].cat.Load() }

// shardState is the router's part of one shard: its catalog replica and the
// Request every inline handler on the shard reuses. Inline handlers run one
// at a time on the shard's goroutine, so one Request serves all its
// sessions, and its buffers stay warm in cache however many sessions the
// loop holds (one per session cost each 15K-connection loop megabytes of
// cold memory).
type shardState struct {
	cat    atomic.Pointer[catalog]
	inline Request // shard goroutine only
	shard  *shards.Shard
	tasks  taskShard // shard goroutine only (tasks.go)
	// recv and send are the Calls hooks see on this shard's goroutine,
	// reused like inline.
	recv, send Call
	meter      meter     // shard goroutine only (meter.go)
	adm        admission // shard goroutine only, but for its stats
	// lastTool is the tool the shard's last tools/call named, found in
	// catalog lastCat (shard goroutine only; see Router.toolNamed).
	lastCat  *catalog
	lastTool *toolEntry
	// changes is what the shard's full inbox could not take (changes.go),
	// last: cold, and kept off the lines the request path reads.
	changes pendingChanges
}

// toolNamed returns the tool called name in shard sh's catalog, or nil.
// Pipelined calls mostly name the tool of the call before: comparing that
// name costs a fraction of the map lookup's hash. A new catalog (a tool
// added or removed) never matches lastCat, so the map decides again.
func (r *Router) toolNamed(sh *shards.Shard, name []byte) *toolEntry {
	st := r.stateOf(sh.ID)
	cat := st.cat.Load()
	if e := st.lastTool; e != nil && st.lastCat == cat && e.tool.Name == string(name) {
		return e
	}
	e := cat.byName[string(name)]
	if e != nil {
		st.lastCat, st.lastTool = cat, e
	}
	return e
}

// inlineRequest returns shard sh's reusable Request for inline handlers.
func (r *Router) inlineRequest(sh *shards.Shard) *Request { return &r.stateOf(sh.ID).inline }

// publish hands a new catalog to every shard, each on its own goroutine,
// and tells that shard's sessions what changed. Called with r.mu held.
func (r *Router) publish(kind uint8) {
	if len(r.shards) == 0 {
		return
	}
	cat := r.registry.snapshot()
	tab := *r.local.Load()
	for i, sh := range r.shards {
		tab[i].cat.Store(cat)
		// The notification runs on the shard's own goroutine, where its
		// sessions live; a full inbox keeps it for later (tellShard).
		r.tellShard(sh, kind, "")
	}
	if r.changed != nil {
		r.changed(Change(kind), "")
	}
}

// Handle processes one decoded message of session s. Shard goroutine only.
// Answers go out through the session's Transport.
func (r *Router) Handle(s *Session, m *codec.Message) {
	if s.closed {
		return
	}
	if m.Kind == codec.KindRequest && r.observing() {
		r.observeRequest(s, m) // and then route (below)
		return
	}
	r.route(s, m)
}

// route hands m to the middleware chain, or to its handler.
func (r *Router) route(s *Session, m *codec.Message) {
	if h := r.hooks.Load(); h != nil && h.Receive != nil && (m.Kind == codec.KindRequest || m.Kind == codec.KindNotification) {
		r.handleHooked(h.Receive, s, m)
		return
	}
	switch m.Kind {
	case codec.KindNotification:
		r.handleNotification(s, m)
	case codec.KindRequest:
		r.handleRequest(s, m)
	default:
		// Responses answer server→client requests (elicitation, sampling,
		// roots); a stray one is ignored as JSON-RPC allows.
		s.handleResponse(m)
	}
}

// HandleDecodeError answers a message the codec rejected.
func (r *Router) HandleDecodeError(s *Session, err error) {
	if s.closed {
		return
	}
	if r.observing() {
		r.observeDecodeError(s, err)
		return
	}
	r.answerDecodeError(s, err)
}

func (r *Router) answerDecodeError(s *Session, err error) {
	if e, ok := err.(*codec.Error); ok {
		s.replyError(e.ID, e.Code, e.Message, nil)
		return
	}
	s.replyError(nil, codec.CodeParseError, err.Error(), nil)
}

func (r *Router) handleNotification(s *Session, m *codec.Message) {
	switch string(m.Method) {
	case "notifications/initialized":
		if s.era == EraLegacy && s.initAnswer && !s.initialized {
			s.initialized = true
			s.stateChanged()
		}
	case "notifications/cancelled":
		r.cancelRequest(s, m.Params)
	case "notifications/roots/list_changed":
		if s.era == EraLegacy && r.opts.RootsListChanged != nil {
			r.opts.RootsListChanged(s)
		}
	}
	// Unknown notifications are ignored (JSON-RPC: no answer to a notification).
}

func (r *Router) handleRequest(s *Session, m *codec.Message) {
	// Authorization comes first, before the era is known or looked at, so
	// no protocol version can route around it.
	if (s.principal == nil || len(r.opts.Auth.MethodScopes) > 0) && !r.authorize(s, m) {
		return
	}
	method := m.Method
	// The first decisive request fixes the era: initialize → legacy, a
	// modern _meta protocol version → modern.
	if s.era == EraUnknown {
		if string(method) == "initialize" {
			s.era = EraLegacy
		} else if _, ok := modernVersionOf(m.Params); ok {
			s.era = EraModern
		}
	}
	switch s.era {
	case EraLegacy:
		r.handleLegacy(s, m)
	case EraModern:
		r.handleModern(s, m)
	default:
		if string(method) == "ping" {
			// Pings are allowed before the handshake.
			s.replyResult(m.ID, []byte(`{}`))
			return
		}
		s.replyError(m.ID, codec.CodeInvalidParams,
			"missing _meta "+metaProtocolVersion+" (modern clients) or initialize first (legacy clients)", nil)
	}
}

func (r *Router) handleLegacy(s *Session, m *codec.Message) {
	req := request{s: s, id: m.ID, method: m.Method, params: m.Params, idx: m.Index()}
	switch string(m.Method) {
	case "initialize":
		r.initialize(s, m)
		return
	case "ping":
		s.replyResult(m.ID, []byte(`{}`))
		return
	case "logging/setLevel":
		// Allowed before initialization completes (lifecycle rules).
		r.setLevel(&req)
		return
	}
	if !s.initialized {
		s.replyError(m.ID, codec.CodeInvalidRequest,
			"session not initialized: send initialize and notifications/initialized first", nil)
		return
	}
	switch string(m.Method) {
	case "resources/subscribe":
		r.subscribe(&req, true)
	case "resources/unsubscribe":
		r.subscribe(&req, false)
	default:
		if !r.handleBoth(&req) && !r.handleLegacyTasks(&req) && !r.handleSkills(&req) {
			s.replyMethodNotFound(m.ID, m.Method)
		}
	}
}

// handleBoth routes the methods both eras share, reporting whether the
// method was one of them.
func (r *Router) handleBoth(req *request) bool {
	switch string(req.method) {
	case "tools/list":
		r.listTools(req)
	case "tools/call":
		r.callTool(req)
	case "resources/list":
		r.listResources(req)
	case "resources/templates/list":
		r.listTemplates(req)
	case "resources/read":
		r.readResource(req)
	case "prompts/list":
		r.listPrompts(req)
	case "prompts/get":
		r.getPrompt(req)
	case "completion/complete":
		r.complete(req)
	default:
		return false
	}
	return true
}

func (r *Router) handleModern(s *Session, m *codec.Message) {
	req := request{s: s, id: m.ID, method: m.Method, params: m.Params, idx: m.Index()}
	if !r.checkModernMeta(&req) {
		return
	}
	switch string(m.Method) {
	case "server/discover":
		r.discover(&req)
	case "subscriptions/listen":
		r.startListen(&req)
	default:
		if !r.handleBoth(&req) && !r.handleModernTasks(&req) && !r.handleSkills(&req) {
			s.replyMethodNotFound(m.ID, m.Method)
		}
	}
}

// request is the router's view of one request while it is routed.
type request struct {
	s      *Session
	id     []byte
	method []byte
	params []byte
	// idx has params, _meta and arguments as the decoder recorded them
	// (nil for a request built from copies: then they are walked).
	idx  *codec.Index
	meta []byte // params._meta, raw
	// metaKnown: params were already searched for _meta (meta may be nil:
	// there is none), so Request.begin need not walk them again.
	metaKnown bool

	// What one walk over _meta found (scanMeta), so the modern checks and
	// Request.begin do not each walk it again.
	metaScanned              bool
	protoVer, clientCaps     []byte
	progressTok, logLevelTok []byte
	// What tools/call's one walk over params found besides name and
	// arguments (paramsScanned): the multi round-trip members.
	paramsScanned                bool
	requestState, inputResponses []byte
	taskParam                    []byte // tools/call's legacy "task" member
}

// scanMeta walks _meta once (finding it first if no one has) and keeps the
// members the router reads. The decoder has rejected duplicate keys, so
// the first match is the only one.
func (q *request) scanMeta() {
	if q.metaScanned {
		return
	}
	q.metaScanned = true
	if q.meta == nil && !q.metaKnown {
		q.meta, _ = q.idx.Field(q.params, "_meta")
		q.metaKnown = true
	}
	q.idx.Each(q.meta, func(k, v []byte) bool {
		switch string(k) {
		case metaProtocolVersion:
			q.protoVer = v
		case metaClientCapabilities:
			q.clientCaps = v
		case "progressToken":
			q.progressTok = v
		case metaLogLevel:
			q.logLevelTok = v
		}
		return true
	})
}
