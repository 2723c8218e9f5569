package ops

import (
	"strconv"

	"github.com/densemcp/densemcp/engine"
	"github.com/densemcp/densemcp/router"
	"github.com/prometheus/client_golang/prometheus"
)

// Collector is a prometheus.Collector over a Source: each scrape takes
// one snapshot of the loops' counters and sums them, so the request path
// never touches the Prometheus client.
type Collector struct {
	src Source

	opDuration, requests, toolCalls                                *prometheus.Desc
	connOpened, conns, connClosed, sessions, sessionsCreated       *prometheus.Desc
	bytesIn, bytesOut, pending, loopConns, loopPending, staleLoops *prometheus.Desc
	workersRunning, workersCap, refusals, ready, draining          *prometheus.Desc
	lingering, lingered                                            *prometheus.Desc
	overload                                                       overloadDescs
	cluster                                                        clusterDescs
}

// NewCollector returns a collector reading src.
func NewCollector(src Source) *Collector {
	d := prometheus.NewDesc
	return &Collector{
		src: src,
		opDuration: d("mcp_server_operation_duration_seconds",
			"Time from a request's arrival to its answer (OpenTelemetry mcp.server.operation.duration).",
			[]string{"mcp_method_name", "gen_ai_tool_name", "error_type", "network_transport", "network_protocol_name"}, nil),
		requests: d("mcp_server_requests_total", "Requests answered, by method, transport and outcome (ok, error, tool_error).",
			[]string{"mcp_method_name", "network_transport", "network_protocol_name", "outcome"}, nil),
		toolCalls: d("mcp_server_tool_calls_total", "tools/call requests by tool (registered tools only) and outcome.",
			[]string{"gen_ai_tool_name", "outcome"}, nil),
		connOpened: d("densemcp_connections_opened_total", "Connections accepted, by transport.", []string{"transport"}, nil),
		conns:      d("densemcp_connections", "Connections open now, by transport.", []string{"transport"}, nil),
		connClosed: d("densemcp_connections_closed_total", "Connections closed, by reason.", []string{"reason"}, nil),
		sessions:   d("densemcp_sessions", "Live MCP sessions by transport and era (unknown: before the first decisive request).", []string{"transport", "era"}, nil),
		sessionsCreated: d("densemcp_http_sessions_created_total",
			"Legacy Streamable HTTP sessions created by initialize.", nil, nil),
		bytesIn:     d("densemcp_received_bytes_total", "Bytes read into messages (HTTP: requests, head and body).", nil, nil),
		bytesOut:    d("densemcp_sent_bytes_total", "Bytes written to connections.", nil, nil),
		pending:     d("densemcp_outbound_pending_bytes", "Answers queued in connections, not yet read by their peers.", nil, nil),
		loopConns:   d("densemcp_loop_connections", "Connections open now on each event loop.", []string{"loop"}, nil),
		loopPending: d("densemcp_loop_outbound_pending_bytes", "Outbound bytes pending on each event loop.", []string{"loop"}, nil),
		staleLoops: d("densemcp_stale_loops",
			"Event loops that did not answer this scrape within a second (their last values are reported).", nil, nil),
		workersRunning: d("densemcp_worker_pool_running", "Blocking handlers running now.", nil, nil),
		workersCap:     d("densemcp_worker_pool_capacity", "Size of the blocking-handler worker pool.", nil, nil),
		refusals: d("densemcp_refusals_total",
			"Work refused at a limit, by reason: the admission reasons of a -32000 refusal (HTTP 503, or 429 for client_limit and client_share), "+
				"max_sessions (initialize answered 503), max_connections (closed at accept).", []string{"reason"}, nil),
		lingering: d("densemcp_connections_lingering", "Connections closing politely now: the last answer sent, the rest of the input read and dropped.", nil, nil),
		lingered:  d("densemcp_connections_lingered_total", "Connections closed politely (lingering after their last answer).", nil, nil),
		ready:     d("densemcp_ready", "1 while the server should get traffic (what /readyz says).", nil, nil),
		draining:  d("densemcp_draining", "1 while the server is draining.", nil, nil),
		overload:  newOverloadDescs(),
		cluster:   newClusterDescs(),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.opDuration, c.requests, c.toolCalls, c.connOpened, c.conns, c.connClosed,
		c.sessions, c.sessionsCreated, c.bytesIn, c.bytesOut, c.pending, c.loopConns, c.loopPending, c.staleLoops,
		c.workersRunning, c.workersCap, c.refusals, c.ready, c.draining, c.lingering, c.lingered} {
		ch <- d
	}
	c.overload.describe(ch)
	c.cluster.describe(ch)
}

// Totals is a snapshot summed over the loops.
type Totals struct {
	Snapshot engine.Snapshot
	// Ops are the request series summed over loops, sorted by labels.
	Ops   []router.OpStat
	Tools []string // tool labels by id

	Opened, Open [router.NumTransportKinds]uint64
	Closed       [engine.NumCloseReasons]uint64
	Sessions     [router.NumTransportKinds][3]int64
	BytesIn      uint64
	BytesOut     uint64
	Pending      uint64
	// Overload sums the loops' admission counters (refusals by reason,
	// calls admitted, queued, completed; in flight, queued, limits).
	Overload router.Stats
	// SessionsCreated and SessionsRefused: legacy HTTP initialize.
	SessionsCreated, SessionsRefused uint64
	Lingering                        int64
	Lingered                         uint64
	Stale                            int
}

type opKey struct {
	method, errT uint8
	kind         router.TransportKind
	tool         int32
}

// Sum adds up the loops of snap.
func Sum(snap engine.Snapshot, tools []string) *Totals {
	t := &Totals{Snapshot: snap, Tools: tools}
	idx := make(map[opKey]int)
	for i := range snap.Loops {
		l := &snap.Loops[i]
		if l.Stale {
			t.Stale++
		}
		for k := range l.Opened {
			t.Opened[k] += l.Opened[k]
			t.Open[k] += uint64(max(l.Open[k], 0))
			for e := range l.Sessions[k] {
				t.Sessions[k][e] += l.Sessions[k][e]
			}
		}
		for r := range l.Closed {
			t.Closed[r] += l.Closed[r]
		}
		t.BytesIn += l.BytesIn
		t.BytesOut += l.BytesOut
		t.Pending += l.PendingBytes
		t.Overload.Merge(&l.Overload)
		t.SessionsCreated += l.SessionsCreated
		t.SessionsRefused += l.SessionsRefused
		t.Lingering += l.Lingering
		t.Lingered += l.Lingered
		for _, op := range l.Requests.Ops {
			k := opKey{op.Method, op.ErrType, op.Kind, op.Tool}
			j, ok := idx[k]
			if !ok {
				idx[k] = len(t.Ops)
				t.Ops = append(t.Ops, op)
				continue
			}
			a := &t.Ops[j]
			a.Count += op.Count
			a.SumNs += op.SumNs
			for b := range a.Buckets {
				a.Buckets[b] += op.Buckets[b]
			}
		}
	}
	router.SortOps(t.Ops)
	return t
}

// Outcome names a request's outcome from its error type.
func Outcome(errT uint8) string {
	switch errT {
	case router.ErrTypeNone:
		return "ok"
	case router.ErrTypeTool:
		return "tool_error"
	}
	return "error"
}

var eraNames = [3]string{"unknown", "legacy", "modern"}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	t := Sum(c.src.Snapshot(), c.src.ToolLabels())
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}

	type reqKey struct {
		method uint8
		kind   router.TransportKind
		out    string
	}
	reqs := map[reqKey]uint64{}
	type toolKey struct {
		tool int32
		out  string
	}
	tools := map[toolKey]uint64{}
	for i := range t.Ops {
		op := &t.Ops[i]
		tool := router.ToolLabelName(t.Tools, op.Tool)
		buckets := make(map[float64]uint64, router.NumBuckets)
		var cum uint64
		for b, bound := range router.DurationBuckets {
			cum += op.Buckets[b]
			buckets[bound] = cum
		}
		ch <- prometheus.MustNewConstHistogram(c.opDuration, op.Count, float64(op.SumNs)/1e9, buckets,
			router.MethodName(op.Method), tool, router.ErrTypeName(op.ErrType), op.Kind.NetworkTransport(), op.Kind.NetworkProtocol())
		reqs[reqKey{op.Method, op.Kind, Outcome(op.ErrType)}] += op.Count
		if op.Method == router.MethodToolsCall && op.Tool >= 0 {
			tools[toolKey{op.Tool, Outcome(op.ErrType)}] += op.Count
		}
	}
	for k, n := range reqs {
		counter(c.requests, n, router.MethodName(k.method), k.kind.NetworkTransport(), k.kind.NetworkProtocol(), k.out)
	}
	for k, n := range tools {
		counter(c.toolCalls, n, router.ToolLabelName(t.Tools, k.tool), k.out)
	}

	for k := router.TransportKind(0); k < router.NumTransportKinds; k++ {
		counter(c.connOpened, t.Opened[k], k.String())
		gauge(c.conns, float64(t.Open[k]), k.String())
		for e, name := range eraNames {
			if k == router.TransportHTTP && e != int(router.EraLegacy) {
				continue // HTTP sessions are legacy; modern HTTP is sessionless
			}
			gauge(c.sessions, float64(t.Sessions[k][e]), k.String(), name)
		}
	}
	for r := range t.Closed {
		counter(c.connClosed, t.Closed[r], engine.CloseReason(r).String())
	}
	counter(c.sessionsCreated, t.SessionsCreated)
	counter(c.bytesIn, t.BytesIn)
	counter(c.bytesOut, t.BytesOut)
	gauge(c.pending, float64(t.Pending))
	gauge(c.lingering, float64(t.Lingering))
	counter(c.lingered, t.Lingered)
	for i := range t.Snapshot.Loops {
		l := &t.Snapshot.Loops[i]
		var open int64
		for _, n := range l.Open {
			open += n
		}
		loop := strconv.Itoa(i)
		gauge(c.loopConns, float64(open), loop)
		gauge(c.loopPending, float64(l.PendingBytes), loop)
	}
	gauge(c.staleLoops, float64(t.Stale))
	running, capacity := c.src.Workers()
	gauge(c.workersRunning, float64(running))
	gauge(c.workersCap, float64(capacity))
	for w := range router.NumRefusals {
		counter(c.refusals, t.Overload.Refused[w], w.String())
	}
	counter(c.refusals, t.SessionsRefused, "max_sessions")
	counter(c.refusals, t.Closed[engine.CloseMaxConnections], "max_connections")
	gauge(c.ready, boolGauge(c.src.Ready() == nil))
	gauge(c.draining, boolGauge(t.Snapshot.Draining))
	c.overload.collect(ch, t)
	c.cluster.collect(ch, c.src)
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
