//go:build linux

package perf

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// Row is one line of the report: the whole measured span, or one ramp step. Latencies are
// in microseconds from the intended send time; CPU per call is -1 when unknown.
type Row struct {
	Target      string            `json:"target"`
	Shape       string            `json:"shape"`
	Tool        string            `json:"tool,omitempty"`
	IO          string            `json:"io"`
	Step        int               `json:"step"`
	OfferedRate int               `json:"offered_rate,omitempty"`
	Conns       int               `json:"conns"`
	Depth       int               `json:"k"`
	TextSize    int               `json:"text"`
	Seconds     float64           `json:"seconds"`
	Calls       uint64            `json:"calls"`
	CallsPerSec float64           `json:"calls_per_sec"`
	Errors      uint64            `json:"errors"`
	ErrorKinds  map[string]uint64 `json:"error_kinds,omitempty"`
	Timeouts    uint64            `json:"timeouts"`
	Late        uint64            `json:"late"`
	Shed        uint64            `json:"shed"`
	// Sent counts the calls sent in the window. Calls (and CallsPerSec, the goodput) count
	// only the accepted calls answered well; the latency percentiles are theirs alone.
	Sent uint64 `json:"sent"`
	// Refused counts refusals: HTTP 503 or 429 with Retry-After, or a JSON-RPC error in
	// -32099..-32000 with data.retryAfterMs. Refused429 is the 429s among them. RefusalRate
	// is Refused ÷ Sent. The Refusal* latencies are the time to the refusal from the
	// intended send time; RefusedFast counts refusals within FastRefusal, and NotServed the
	// calls sent but not answered well (refused, errors, timeouts).
	Refused         uint64  `json:"refused"`
	Refused429      uint64  `json:"refused_429,omitempty"`
	RefusedPerSec   float64 `json:"refused_per_sec"`
	RefusalRate     float64 `json:"refusal_rate"`
	RefusalP50us    float64 `json:"refusal_p50_us,omitempty"`
	RefusalP99us    float64 `json:"refusal_p99_us,omitempty"`
	RefusalMaxUs    float64 `json:"refusal_max_us,omitempty"`
	RefusedFast     uint64  `json:"refused_fast"`
	NotServed       uint64  `json:"not_served"`
	RetryAfterMsMax int64   `json:"retry_after_ms_max,omitempty"`
	// SendLagP99us is the p99 of how late the generator sent a call against its intended
	// time. The latencies count from the intended time, so a generator that falls behind
	// (its core saturated) charges its own delay to the server: a window whose lag is a large
	// part of the latency it reports measured the generator, not the server.
	SendLagP99us float64 `json:"send_lag_p99_us"`
	// Capacity (calls/s) and Multiple: an overload run's capacity and this window's offered
	// rate as a multiple of it (the capacity run's own row has Shape "capacity").
	Capacity float64 `json:"capacity,omitempty"`
	Multiple float64 `json:"multiple,omitempty"`
	P50us    float64 `json:"p50_us"`
	P95us    float64 `json:"p95_us"`
	P99us    float64 `json:"p99_us"`
	P999us   float64 `json:"p999_us"`
	MaxUs    float64 `json:"max_us"`
	MeanUs   float64 `json:"mean_us"`

	// CPU per call, user plus system; the *User fields are the user-space share alone
	// (-1: not measured).
	ServerCPUPerCallUs  float64 `json:"server_cpu_us_per_call"`
	ServerUserPerCallUs float64 `json:"server_user_us_per_call"`
	ServerRSSBytes      int64   `json:"server_rss_bytes,omitempty"`
	GenCPUPerCallUs     float64 `json:"gen_cpu_us_per_call"`
	GenUserPerCallUs    float64 `json:"gen_user_us_per_call"`
	// GenIdlePerCallUs is the time a spinning generator spent in polls that found nothing,
	// per call: part of its CPU, but idle, so not in GenCPUPerCallUs.
	GenIdlePerCallUs float64 `json:"gen_idle_us_per_call"`
	Spin             bool    `json:"spin"`

	Established      int     `json:"established"`
	SetupFailed      int     `json:"setup_failed"`
	LostConns        int     `json:"lost_conns"`
	BaselineRSSBytes int64   `json:"baseline_rss_bytes,omitempty"`
	RSSPerConnBytes  float64 `json:"rss_per_conn_bytes,omitempty"`

	// Series is the window's time series, a point about every second.
	Series []Point `json:"series,omitempty"`

	// Soak: the churn's counts, and the server's descriptors and goroutines before any
	// connection and after all of them closed (0: not measured).
	Churn              *ChurnStats `json:"churn,omitempty"`
	BaselineFDs        int         `json:"baseline_fds,omitempty"`
	FinalFDs           int         `json:"final_fds,omitempty"`
	BaselineGoroutines int         `json:"baseline_goroutines,omitempty"`
	FinalGoroutines    int         `json:"final_goroutines,omitempty"`
}

// ioOf names the transport the workers measured with ("mixed" if a ring was refused to some).
func ioOf(workers []*worker) string {
	io := workers[0].io
	for _, w := range workers[1:] {
		if w.io != io {
			return "mixed"
		}
	}
	return io.String()
}

func buildRows(cfg *Config, p *plan, workers []*worker, samples []sample, baseline sample, established int) []Row {
	var failed, lost int
	for _, w := range workers {
		failed += w.setupFailed
		lost += w.lostConns
	}
	rows := make([]Row, len(p.rates))
	for i := range rows {
		var win window
		for _, w := range workers {
			win.merge(&w.windows[i])
		}
		secs := time.Duration(p.stepLen).Seconds()
		r := Row{Target: cfg.Target.String(), Shape: cfg.Shape.String(), IO: ioOf(workers), Spin: cfg.Spin && cfg.Shape != ShapeHold, Step: i, OfferedRate: p.rates[i],
			Conns: cfg.Conns, Depth: cfg.Depth, TextSize: cfg.TextSize, Seconds: secs,
			Calls: win.calls, CallsPerSec: float64(win.calls) / secs, Errors: win.errors(),
			Timeouts: win.timeouts, Late: win.late, Shed: win.shed, Tool: cfg.Tool,
			Sent: win.sent, Refused: win.refused, Refused429: win.refused429, RefusedPerSec: float64(win.refused) / secs,
			RefusalP50us: us(win.refHist.Quantile(0.50)), RefusalP99us: us(win.refHist.Quantile(0.99)),
			RefusalMaxUs: us(win.refHist.Max()), RefusedFast: win.refHist.CountAtMost(int64(FastRefusal)),
			NotServed: win.sent - min(win.sent, win.calls), RetryAfterMsMax: win.retryMsMax, SendLagP99us: us(win.lagHist.Quantile(0.99)),
			P50us: us(win.hist.Quantile(0.50)), P95us: us(win.hist.Quantile(0.95)),
			P99us: us(win.hist.Quantile(0.99)), P999us: us(win.hist.Quantile(0.999)),
			MaxUs: us(win.hist.Max()), MeanUs: win.hist.Mean() / 1e3,
			ServerCPUPerCallUs: -1, ServerUserPerCallUs: -1, GenCPUPerCallUs: -1, GenUserPerCallUs: -1,
			Established: established, SetupFailed: failed, LostConns: lost}
		if win.sent > 0 {
			r.RefusalRate = float64(win.refused) / float64(win.sent)
		}
		for k, n := range win.errs {
			if n > 0 {
				if r.ErrorKinds == nil {
					r.ErrorKinds = map[string]uint64{}
				}
				r.ErrorKinds[errKindNames[k]] = n
			}
		}
		a, b := samples[i], samples[i+1]
		if win.calls > 0 {
			perCall := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(win.calls) }
			// A spinning generator's empty polls are its idle time, not a cost of the calls.
			r.GenCPUPerCallUs = perCall(max(0, b.selfUser+b.selfSys-a.selfUser-a.selfSys-(b.selfIdle-a.selfIdle)))
			r.GenIdlePerCallUs = perCall(b.selfIdle - a.selfIdle)
			r.GenUserPerCallUs = perCall(b.selfUser - a.selfUser)
			if a.ok && b.ok {
				r.ServerCPUPerCallUs = perCall(b.serverUser + b.serverSys - a.serverUser - a.serverSys)
				r.ServerUserPerCallUs = perCall(b.serverUser - a.serverUser)
			}
		}
		r.ServerRSSBytes = b.serverRSS
		if cfg.Shape == ShapeHold && baseline.ok && a.ok && established > 0 {
			r.BaselineRSSBytes = baseline.serverRSS
			r.RSSPerConnBytes = float64(a.serverRSS-baseline.serverRSS) / float64(established)
		}
		rows[i] = r
	}
	return rows
}

func us(ns int64) float64 { return float64(ns) / 1e3 }

func writeJSON(w io.Writer, rows []Row) error {
	enc := json.NewEncoder(w)
	for i := range rows {
		if err := enc.Encode(&rows[i]); err != nil {
			return err
		}
	}
	return nil
}

func writeTable(w io.Writer, cfg *Config, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	if cfg.Shape == ShapeHold {
		fmt.Fprintln(tw, "target\tconns\testablished\tfailed\tlost\tbaseline RSS MiB\tRSS MiB\tRSS/conn B\t")
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.1f\t%.1f\t%.0f\t\n", r.Target, r.Conns, r.Established,
				r.SetupFailed, r.LostConns, mib(r.BaselineRSSBytes), mib(r.ServerRSSBytes), r.RSSPerConnBytes)
		}
		return tw.Flush()
	}
	fmt.Fprintln(tw, "target\tshape\tio\tstep\t× cap\trate\tc\tk\tcalls\tcalls/s\trefused\trefused/s\trefusal p99 µs\terrors\ttimeouts\tshed\tp50 µs\tp95 µs\tp99 µs\tp99.9 µs\tmax µs\tsrv CPU µs/call\tsrv user\tsrv RSS MiB\tgen CPU µs/call\tgen user\tgen idle\tsend lag p99 µs\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%d\t%d\t%d\t%d\t%.0f\t%d\t%.0f\t%.0f\t%d\t%d\t%d\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%s\t%s\t%.1f\t%.2f\t%.2f\t%.2f\t%.0f\t\n",
			r.Target, r.Shape, r.IO, r.Step, multipleCell(r.Multiple), r.OfferedRate, r.Conns, r.Depth, r.Calls, r.CallsPerSec,
			r.Refused, r.RefusedPerSec, r.RefusalP99us, r.Errors,
			r.Timeouts, r.Shed, r.P50us, r.P95us, r.P99us, r.P999us, r.MaxUs, cpuCell(r.ServerCPUPerCallUs),
			cpuCell(r.ServerUserPerCallUs), mib(r.ServerRSSBytes), r.GenCPUPerCallUs, r.GenUserPerCallUs, r.GenIdlePerCallUs, r.SendLagP99us)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range rows {
		if r.Errors > 0 {
			fmt.Fprintf(w, "step %d errors: %v\n", r.Step, r.ErrorKinds)
		}
	}
	for _, r := range rows {
		if c := r.Churn; c != nil {
			fmt.Fprintf(w, "churn: %d polite cycles (%d errors %v), %d resets after a call, %d resets mid-request, %d GET streams cut, %d SSE answers cut mid-stream (%d not streamed), %d abrupt cycles failed early, %d skipped\n",
				c.Polite, c.PoliteErrors, c.ErrorKinds, c.Resets, c.MidRequest, c.StreamsCut, c.CutMidStream, c.NotStreamed, c.Abrupt, c.Skipped)
			fmt.Fprintf(w, "server: descriptors %d before, %d after; goroutines %d before, %d after\n",
				r.BaselineFDs, r.FinalFDs, r.BaselineGoroutines, r.FinalGoroutines)
		}
	}
	if rows[0].SetupFailed > 0 || rows[0].LostConns > 0 {
		fmt.Fprintf(w, "connections: %d established, %d failed to set up, %d lost\n",
			rows[0].Established, rows[0].SetupFailed, rows[0].LostConns)
	}
	return nil
}

func multipleCell(m float64) string {
	if m == 0 {
		return "-"
	}
	return fmt.Sprintf("%g", m)
}

func cpuCell(v float64) string {
	if v < 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", v)
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
