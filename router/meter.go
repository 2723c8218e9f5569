package router

import (
	"context"
	"sort"
	"strconv"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/shards"
)

// DurationBuckets are the upper bounds (seconds) of the request duration
// histogram: microseconds for inline calls on a loop, up to minutes for
// blocking handlers that wait on a client (the OpenTelemetry MCP
// convention's advice ends at 300 s).
var DurationBuckets = [...]float64{
	0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005,
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
	1, 2.5, 5, 10, 30, 60, 120, 300,
}

// NumBuckets is the number of finite histogram buckets.
const NumBuckets = len(DurationBuckets)

// bucketBoundsNs are DurationBuckets in nanoseconds, so an observation
// compares integers.
var bucketBoundsNs = func() (b [NumBuckets]int64) {
	for i, s := range DurationBuckets {
		b[i] = int64(s*1e9 + 0.5)
	}
	return b
}()

// MaxToolLabels bounds the distinct tool names that get their own series;
// tools registered past it share the "_OTHER" label.
const MaxToolLabels = 1024

// opSeries is one label combination's counts on one shard: a histogram
// with non-cumulative buckets (the last slot is +Inf). Written by the
// shard's goroutine only.
type opSeries struct {
	count   uint64
	sumNs   uint64
	buckets [NumBuckets + 1]uint64
}

func (o *opSeries) observe(ns int64) {
	if ns < 0 {
		ns = 0
	}
	o.count++
	o.sumNs += uint64(ns)
	// Most requests land in the first buckets: a linear scan from the
	// bottom ends after a comparison or two.
	i := 0
	for i < NumBuckets && ns > bucketBoundsNs[i] {
		i++
	}
	o.buckets[i]++
}

type seriesRow [NumTransportKinds][NumErrTypes]*opSeries

// meter counts one shard's requests. Plain integers and pointers written
// by the shard's goroutine only; Snapshot reads them through a task on
// that goroutine, so the request path takes no lock and no atomic.
type meter struct {
	ops   [NumMethods]seriesRow
	tools []seriesRow // tools/call by tool label id (see toolLabel)
	// busy counts requests refused because the worker pool was full.
	busy uint64
	// cur is the inline request being observed.
	cur observation
	// pending are the series of requests answered during the current
	// input (they arrived together at Shard.Arrived and their answers
	// leave together when the transport writes its batch): EndInput
	// observes them all with one clock read.
	pending  [maxPending]*opSeries
	npending int
}

// maxPending bounds the answers of one input observed together; past it
// each reads the clock itself.
const maxPending = 64

// observation is what the router knows of one request between its
// arrival and its answer.
type observation struct {
	active bool
	method uint8
	errT   uint8
	kind   TransportKind
	tool   int32 // tool label id, -1 until tools/call finds the tool
	start  int64 // shards.Now at arrival
	// msg is the request, valid during Handle (for the span's attributes).
	msg  *codec.Message
	span Span // nil unless tracing
	ctx  context.Context
}

func (m *meter) series(o *observation) *opSeries {
	var row *seriesRow
	if o.method == MethodToolsCall && o.tool >= 0 {
		for int(o.tool) >= len(m.tools) {
			m.tools = append(m.tools, seriesRow{}) // once per new tool
		}
		row = &m.tools[o.tool]
	} else {
		row = &m.ops[o.method]
	}
	p := &row[o.kind][o.errT]
	if *p == nil {
		*p = new(opSeries) // once per label combination
	}
	return *p
}

// OpStat is one label combination's counts in a snapshot.
type OpStat struct {
	Method  uint8
	ErrType uint8
	Kind    TransportKind
	// Tool is the tool label id (see Router.ToolLabels), -1 for none.
	Tool  int32
	Count uint64
	SumNs uint64
	// Buckets are non-cumulative counts; the last is +Inf.
	Buckets [NumBuckets + 1]uint64
}

// MeterSnapshot is a copy of one shard's request counters.
type MeterSnapshot struct {
	Ops []OpStat
	// Busy is requests refused because the worker pool was full.
	Busy uint64
}

func appendRow(dst []OpStat, row *seriesRow, method uint8, tool int32) []OpStat {
	for k := range row {
		for e, p := range row[k] {
			if p == nil {
				continue
			}
			dst = append(dst, OpStat{Method: method, ErrType: uint8(e), Kind: TransportKind(k), Tool: tool,
				Count: p.count, SumNs: p.sumNs, Buckets: p.buckets})
		}
	}
	return dst
}

// SnapshotShard copies shard sh's request counters into dst. Shard
// goroutine only: post it to the shard.
func (r *Router) SnapshotShard(sh *shards.Shard, dst *MeterSnapshot) {
	m := &r.stateOf(sh.ID).meter
	dst.Ops = dst.Ops[:0]
	for i := range m.ops {
		dst.Ops = appendRow(dst.Ops, &m.ops[i], uint8(i), -1)
	}
	for i := range m.tools {
		dst.Ops = appendRow(dst.Ops, &m.tools[i], MethodToolsCall, int32(i))
	}
	dst.Busy = m.busy
}

// ToolLabels returns the tool names by label id: every tool ever
// registered, up to MaxToolLabels; the id MaxToolLabels is "_OTHER".
// Safe for concurrent use.
func (r *Router) ToolLabels() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.toolLabels...)
}

// toolLabel returns the label id of tool name, assigning the next one on
// first registration. Called with r.mu held.
func (r *Router) toolLabel(name string) int32 {
	if id, ok := r.toolLabelOf[name]; ok {
		return id
	}
	if len(r.toolLabels) >= MaxToolLabels {
		return MaxToolLabels
	}
	if r.toolLabelOf == nil {
		r.toolLabelOf = make(map[string]int32)
	}
	id := int32(len(r.toolLabels))
	r.toolLabels = append(r.toolLabels, name)
	r.toolLabelOf[name] = id
	return id
}

// ToolLabelName returns the label of tool id in labels (from ToolLabels).
func ToolLabelName(labels []string, id int32) string {
	switch {
	case id < 0:
		return ""
	case int(id) < len(labels):
		return labels[id]
	}
	return "_OTHER"
}

// SortOps orders snapshot rows by their labels, for stable output.
func SortOps(ops []OpStat) {
	sort.Slice(ops, func(i, j int) bool {
		a, b := &ops[i], &ops[j]
		if a.Method != b.Method {
			return a.Method < b.Method
		}
		if a.Tool != b.Tool {
			return a.Tool < b.Tool
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.ErrType < b.ErrType
	})
}

// observing reports whether requests are timed and counted (or traced).
func (r *Router) observing() bool { return r.opts.Metrics || r.opts.Tracer != nil }

// Observing reports whether the router times requests: a transport then
// sets Shard.Arrived when input arrives, so requests read in one go share
// one clock read.
func (r *Router) Observing() bool { return r.observing() }

// EndInput tells the router that the transport has handled the input
// stamped in Shard.Arrived and writes the answers now: the requests
// answered meanwhile are observed with one clock read between them, and
// Arrived is cleared. Shard goroutine.
func (r *Router) EndInput(sh *shards.Shard) {
	if sh.Arrived == 0 {
		return
	}
	m := &r.stateOf(sh.ID).meter
	if m.npending > 0 {
		d := shards.Now() - sh.Arrived
		for i := range m.npending {
			m.pending[i].observe(d)
			m.pending[i] = nil
		}
		m.npending = 0
	}
	sh.Arrived = 0
}

// arrival returns when the shard's current input arrived, reading the
// clock if the transport did not say (a task posted from another loop).
func arrival(sh *shards.Shard) int64 {
	if sh.Arrived != 0 {
		return sh.Arrived
	}
	return shards.Now()
}

// observeRequest routes request m of session s with its observation:
// counted and timed from arrival to answer, traced when a tracer is set.
func (r *Router) observeRequest(s *Session, m *codec.Message) {
	st := r.stateOf(s.shard.ID)
	o := &st.meter.cur
	*o = observation{active: true, method: methodIndex(m.Method), kind: s.kind, tool: -1, start: arrival(s.shard), msg: m}
	r.route(s, m)
	if o.active {
		// No answer and nothing left running on the pool: a listen
		// stream, acknowledged and kept open.
		r.finish(s, &st.meter, o)
	}
	o.msg = nil
}

// observeDecodeError answers a message the codec rejected, observed as
// method "invalid".
func (r *Router) observeDecodeError(s *Session, err error) {
	st := r.stateOf(s.shard.ID)
	o := &st.meter.cur
	*o = observation{active: true, method: MethodInvalid, kind: s.kind, tool: -1, start: arrival(s.shard)}
	if r.opts.Tracer != nil {
		o.msg = &codec.Message{}
		if e, ok := err.(*codec.Error); ok {
			o.msg.ID = e.ID
		}
	}
	r.answerDecodeError(s, err)
	o.msg = nil
}

// answered ends the observation of the current inline request with the
// JSON-RPC error code of its answer (0: a result). Shard goroutine.
func (s *Session) answered(code int) {
	st := s.r.stateOf(s.shard.ID)
	o := &st.meter.cur
	if !o.active {
		return
	}
	if code != 0 || o.errT == ErrTypeNone {
		o.errT = errTypeOf(code)
	}
	s.r.finish(s, &st.meter, o)
}

// answeredWith ends the current request's observation with a complete
// answer whose error type is read from its bytes (a middleware may have
// written or replaced it). Shard goroutine.
func (s *Session) answeredWith(msg []byte) {
	o := &s.r.stateOf(s.shard.ID).meter.cur
	if !o.active {
		return
	}
	isErr := false
	if o.method == MethodToolsCall {
		res, _ := codec.ObjectField(msg, "result")
		v, _ := codec.ObjectField(res, "isError")
		isErr = string(v) == "true"
	}
	o.errT = answerErrType(msg, isErr)
	s.r.finish(s, &s.r.stateOf(s.shard.ID).meter, o)
}

// markToolError notes that the current request's tool result has isError.
func (r *Router) markToolError(s *Session) {
	if o := &r.stateOf(s.shard.ID).meter.cur; o.active {
		o.errT = ErrTypeTool
	}
}

// markTool notes the tool the current tools/call resolved to.
func (r *Router) markTool(s *Session, e *toolEntry) {
	if o := &r.stateOf(s.shard.ID).meter.cur; o.active {
		o.tool = e.label
	}
}

// finish records observation o (now ended) on meter m and ends its span,
// starting it first if the request never reached a handler. Shard
// goroutine.
func (r *Router) finish(s *Session, m *meter, o *observation) {
	o.active = false
	if r.opts.Metrics {
		p := m.series(o)
		if o.start == s.shard.Arrived && m.npending < maxPending {
			m.pending[m.npending] = p
			m.npending++
		} else {
			p.observe(shards.Now() - o.start)
		}
	}
	if r.opts.Tracer != nil {
		if o.span == nil && o.msg != nil {
			r.startSpan(s, o)
		}
		if o.span != nil {
			o.span.End(ErrTypeName(o.errT))
		}
		o.span, o.ctx = nil, nil
	}
}

// answerErrType reads the error type of a complete answer: its JSON-RPC
// error code, else tool_error when toolErr says the tool result has
// isError. For answers rendered off the loop (middleware may have
// replaced them), so it reads the bytes rather than trusting the path.
func answerErrType(answer []byte, toolErr bool) uint8 {
	if e, ok := codec.ObjectField(answer, "error"); ok {
		code, _ := codec.ObjectField(e, "code")
		n, err := strconv.Atoi(string(code))
		if err != nil {
			return ErrTypeOther
		}
		return errTypeOf(n)
	}
	if toolErr {
		return ErrTypeTool
	}
	return ErrTypeNone
}
