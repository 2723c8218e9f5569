package ops

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// overloadDescs are the series of admission control and the overload
// manager: what the loops' router.LoopStats count (summed, and the limit
// per loop) and the memory stage the monitor publishes.
type overloadDescs struct {
	admitted, queued, completed, timeouts, cutOff, deferred, shed *prometheus.Desc
	inFlight, waiting, stuck, loopLimit, loopMinLatency           *prometheus.Desc
	loopInFlight                                                  *prometheus.Desc
	stage, stageChanges, heapLive, budget                         *prometheus.Desc
}

func newOverloadDescs() overloadDescs {
	d := prometheus.NewDesc
	loop := []string{"loop"}
	return overloadDescs{
		admitted: d("densemcp_blocking_calls_admitted_total",
			"Blocking calls admitted to the worker pool (started at once or after waiting in their loop's queue).", nil, nil),
		queued: d("densemcp_blocking_calls_queued_total",
			"Blocking calls that waited in their loop's queue at the concurrency limit before they started.", nil, nil),
		completed: d("densemcp_blocking_calls_completed_total",
			"Blocking calls whose answer was sent (or dropped: the client had cancelled or gone).", nil, nil),
		timeouts: d("densemcp_handler_timeouts_total",
			"Blocking calls answered with a timeout error at their deadline while the handler still ran.", nil, nil),
		cutOff: d("densemcp_blocking_calls_cut_off_total",
			"Calls still running or queued when a drain's budget ended, each answered with a shutdown error.", nil, nil),
		deferred: d("densemcp_fair_share_deferrals_total",
			"Loop passes that stopped at a connection's message budget and left the rest for the next pass (fair share).", nil, nil),
		shed: d("densemcp_overload_shed_connections_total",
			"Connections the overload manager closed for the size of their queue of unsent answers.", nil, nil),
		inFlight: d("densemcp_blocking_calls_in_flight", "Blocking calls running now.", nil, nil),
		waiting:  d("densemcp_blocking_calls_waiting", "Blocking calls waiting in the loops' queues now.", nil, nil),
		stuck: d("densemcp_stuck_handlers",
			"Handlers past their deadline that have not returned (the client has its answer; the goroutine still runs).", nil, nil),
		loopLimit: d("densemcp_loop_concurrency_limit",
			"Adaptive limit on the blocking calls running at once, per event loop.", loop, nil),
		loopMinLatency: d("densemcp_loop_min_latency_seconds",
			"Minimum handler latency the loop's adaptive limit measures against (0 until measured).", loop, nil),
		loopInFlight: d("densemcp_loop_blocking_calls_in_flight", "Blocking calls running now, per event loop.", loop, nil),
		stage: d("densemcp_memory_stage",
			"Overload manager's memory stage: 0 normal, 1 no_keepalive, 2 refuse_connections (not ready), 3 refuse_requests, 4 shed_outbound.", nil, nil),
		stageChanges: d("densemcp_memory_stage_changes_total", "Changes of the memory stage.", nil, nil),
		heapLive: d("densemcp_memory_heap_live_bytes",
			"Live heap the overload manager sampled last (0 when it is off).", nil, nil),
		budget: d("densemcp_memory_budget_bytes",
			"Heap budget the memory stages are fractions of (0: the overload manager is off).", nil, nil),
	}
}

func (o *overloadDescs) describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{o.admitted, o.queued, o.completed, o.timeouts, o.cutOff, o.deferred, o.shed,
		o.inFlight, o.waiting, o.stuck, o.loopLimit, o.loopMinLatency, o.loopInFlight,
		o.stage, o.stageChanges, o.heapLive, o.budget} {
		ch <- d
	}
}

func (o *overloadDescs) collect(ch chan<- prometheus.Metric, t *Totals) {
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	st := &t.Overload
	counter(o.admitted, st.Admitted)
	counter(o.queued, st.Queued)
	counter(o.completed, st.Completed)
	counter(o.timeouts, st.HandlerTimeouts)
	counter(o.cutOff, st.CutOff)
	counter(o.deferred, st.Deferred)
	counter(o.shed, st.ShedConnections)
	gauge(o.inFlight, float64(st.InFlight))
	gauge(o.waiting, float64(st.Queue))
	gauge(o.stuck, float64(st.Stuck))
	for i := range t.Snapshot.Loops {
		l := &t.Snapshot.Loops[i].Overload
		loop := strconv.Itoa(i)
		gauge(o.loopLimit, float64(l.Limit), loop)
		gauge(o.loopMinLatency, float64(l.MinRTTMicros)/1e6, loop)
		gauge(o.loopInFlight, float64(l.InFlight), loop)
	}
	m := &t.Snapshot.Memory
	gauge(o.stage, float64(m.Stage))
	counter(o.stageChanges, m.StageChanges)
	gauge(o.heapLive, float64(m.HeapLive))
	gauge(o.budget, float64(m.Budget))
}
