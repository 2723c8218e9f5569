package ops

import (
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"time"

	"github.com/densemcp/densemcp/engine"
	"github.com/densemcp/densemcp/router"
)

// The dashboard's page, script and style: hand-written canvas charts, no
// third-party code and nothing fetched from elsewhere, so the binary
// carries it whole.
//
//go:embed dashboard/*
var dashboardFS embed.FS

type dashboard struct {
	src Source
}

func newDashboard(src Source) *dashboard { return &dashboard{src: src} }

// csp keeps the page to its own assets and data.
const csp = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'"

func (d *dashboard) page() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := dashboardFS.ReadFile("dashboard/index.html")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", csp)
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(b)
	})
}

func (d *dashboard) assets() http.Handler {
	sub, err := fs.Sub(dashboardFS, "dashboard")
	if err != nil {
		panic("BUG: dashboard assets: " + err.Error())
	}
	files := http.StripPrefix(PathDashboard+"/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", csp)
		files.ServeHTTP(w, r)
	})
}

// DashboardLoop is one event loop's row of the dashboard's data.
type DashboardLoop struct {
	Index       int    `json:"index"`
	Connections int64  `json:"connections"`
	Sessions    int64  `json:"sessions"`
	Requests    uint64 `json:"requests"`
	ToolCalls   uint64 `json:"toolCalls"`
	Errors      uint64 `json:"errors"`
	ToolErrors  uint64 `json:"toolErrors"`
	Refusals    uint64 `json:"refusals"`
	Pending     uint64 `json:"pendingBytes"`
	BytesIn     uint64 `json:"bytesIn"`
	BytesOut    uint64 `json:"bytesOut"`
	Stale       bool   `json:"stale"`
}

// DashboardData is what /dashboard/data answers: cumulative counters (the
// page turns them into rates and percentiles over each second).
type DashboardData struct {
	TimeMs   int64           `json:"timeMs"`
	Ready    bool            `json:"ready"`
	NotReady string          `json:"notReady,omitempty"`
	Draining bool            `json:"draining"`
	Workers  [2]int          `json:"workers"` // running, capacity
	Loops    []DashboardLoop `json:"loops"`
	Total    DashboardLoop   `json:"total"`
	// Bounds are the duration buckets' upper bounds in seconds; Counts the
	// requests per bucket over all methods (non-cumulative, last: +Inf).
	Bounds []float64 `json:"bounds"`
	Counts []uint64  `json:"counts"`
	// Closed counts connection closes by reason.
	Closed map[string]uint64 `json:"closed"`
	// Memory is the overload manager's stage and the live heap against
	// its budget (0: off); InFlight and Limit are the blocking calls
	// running and the sum of the loops' concurrency limits.
	Memory   DashboardMemory `json:"memory"`
	InFlight int64           `json:"inFlight"`
	Limit    int64           `json:"limit"`
}

// DashboardMemory is the memory tile's data.
type DashboardMemory struct {
	Stage    string `json:"stage"`
	Level    int    `json:"level"` // 0 normal ... 4 shed_outbound
	HeapLive int64  `json:"heapLive"`
	Budget   int64  `json:"budget"`
}

// Dashboard returns the dashboard's data for one snapshot of src.
func Dashboard(src Source) *DashboardData {
	snap := src.Snapshot()
	out := &DashboardData{TimeMs: time.Now().UnixMilli(), Draining: snap.Draining,
		Bounds: router.DurationBuckets[:], Counts: make([]uint64, router.NumBuckets+1), Closed: map[string]uint64{}}
	if err := src.Ready(); err != nil {
		out.NotReady = err.Error()
	} else {
		out.Ready = true
	}
	out.Workers[0], out.Workers[1] = src.Workers()
	m := snap.Memory
	out.Memory = DashboardMemory{Stage: m.Stage.String(), Level: int(m.Stage), HeapLive: m.HeapLive, Budget: m.Budget}
	for i := range snap.Loops {
		l := &snap.Loops[i]
		row := loopRow(l)
		row.Index = i
		out.Loops = append(out.Loops, row)
		t := &out.Total
		t.Connections += row.Connections
		t.Sessions += row.Sessions
		t.Requests += row.Requests
		t.ToolCalls += row.ToolCalls
		t.Errors += row.Errors
		t.ToolErrors += row.ToolErrors
		t.Refusals += row.Refusals
		t.Pending += row.Pending
		t.BytesIn += row.BytesIn
		t.BytesOut += row.BytesOut
		t.Stale = t.Stale || row.Stale
		for _, op := range l.Requests.Ops {
			for b, n := range op.Buckets {
				out.Counts[b] += n
			}
		}
		out.InFlight += l.Overload.InFlight
		out.Limit += l.Overload.Limit
		for r, n := range l.Closed {
			out.Closed[engine.CloseReason(r).String()] += n
		}
	}
	return out
}

func loopRow(l *engine.LoopSnapshot) DashboardLoop {
	row := DashboardLoop{Pending: l.PendingBytes, BytesIn: l.BytesIn, BytesOut: l.BytesOut, Stale: l.Stale,
		Refusals: l.Overload.RefusedTotal + l.SessionsRefused + l.Closed[engine.CloseMaxConnections]}
	for k := range l.Open {
		row.Connections += l.Open[k]
		for _, n := range l.Sessions[k] {
			row.Sessions += n
		}
	}
	for _, op := range l.Requests.Ops {
		row.Requests += op.Count
		if op.Method == router.MethodToolsCall {
			row.ToolCalls += op.Count
		}
		switch op.ErrType {
		case router.ErrTypeNone:
		case router.ErrTypeTool:
			row.ToolErrors += op.Count
		default:
			row.Errors += op.Count
		}
	}
	return row
}

func (d *dashboard) data() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(Dashboard(d.src))
	})
}
