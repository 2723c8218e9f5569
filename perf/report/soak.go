package main

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"runtime"
	"time"

	"github.com/densemcp/densemcp/perf"
	"github.com/densemcp/densemcp/perf/chart"
)

// Flatness bounds of the soak: over the second half of the run (the first warms pools and
// caches), RSS may drift by at most soakRSSDrift of its mean or soakRSSFloor, whichever is
// more, and goroutines by at most soakGoroutineDrift.
const (
	soakRSSDrift       = 0.05
	soakRSSFloor       = 1 << 20
	soakGoroutineDrift = 2
)

// writeSoak writes the soak section (perf/soak.sh): the run's setup, the server's RSS,
// goroutines and descriptors at the start and end with their slopes, the errors of the
// well-behaved clients, the churn, and a chart of the time series.
func writeSoak(w io.Writer, recs []record, cmd string, notes []byte, chartsDir, chartLink string) error {
	var soak *record
	for i := range recs {
		if recs[i].Row.Shape == "soak" {
			soak = &recs[i]
		}
	}
	if soak == nil {
		return fmt.Errorf("no soak row among %d", len(recs))
	}
	r := soak.Row
	fmt.Fprintf(w, "## Soak: connection churn at half capacity\n\n")
	fmt.Fprintf(w, "Report written %s. Command: `%s`.\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"), cmd)
	fmt.Fprintf(w, "Machine: %d CPUs (%s), kernel %s, %s %s/%s.\n\n", runtime.NumCPU(), cpuModel(), kernel(),
		runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(w, "The server, %s, runs pinned to CPU 0 with GOMAXPROCS=1, the generator on CPU 1. Well-behaved load: %d %s connections "+
		"calling `%s` open loop at %d calls/s, half the capacity measured just before, for %.0f s. Beside it, %s churn: "+
		"connections that open, initialize, call, read the answer and close (HTTP sessions deleted first); that reset (RST) "+
		"right after sending a call; that reset halfway through a request; that open the GET SSE stream and reset it; and "+
		"that call a streaming tool with a progress token and reset after its first event. The server's RSS (/proc), "+
		"goroutines and open descriptors are sampled every second.\n\n",
		soak.Server, r.Conns, r.Target, r.Tool, r.OfferedRate, r.Seconds, churnRate(soak.Command))
	if len(notes) > 0 {
		fmt.Fprintf(w, "%s\n\n", bytes.TrimSpace(notes))
	}
	pts := r.Series
	half := secondHalf(pts)
	rssT, rssV, gorT, gorV := []float64{}, []float64{}, []float64{}, []float64{}
	for _, p := range half {
		if p.RSSBytes > 0 {
			rssT, rssV = append(rssT, p.T), append(rssV, float64(p.RSSBytes))
		}
		if p.Goroutines > 0 {
			gorT, gorV = append(gorT, p.T), append(gorV, float64(p.Goroutines))
		}
	}
	fmt.Fprintln(w, "| measure | first sample | last sample | slope over the second half | drift over the second half | flat |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | --- |")
	if len(rssV) >= 2 {
		slope, mean := fit(rssT, rssV)
		drift := slope * (rssT[len(rssT)-1] - rssT[0])
		bound := math.Max(soakRSSDrift*mean, soakRSSFloor)
		fmt.Fprintf(w, "| RSS | %.1f MiB | %.1f MiB | %+.0f KiB/min | %+.2f MiB (bound ±%.2f MiB) | %s |\n",
			mib(pts[0].RSSBytes), mib(pts[len(pts)-1].RSSBytes), slope*60/1024, drift/(1<<20), bound/(1<<20), yesNo(math.Abs(drift) <= bound))
	}
	if len(gorV) >= 2 {
		slope, _ := fit(gorT, gorV)
		drift := slope * (gorT[len(gorT)-1] - gorT[0])
		fmt.Fprintf(w, "| goroutines | %d | %d | %+.2f /min | %+.1f (bound ±%d) | %s |\n",
			pts[0].Goroutines, pts[len(pts)-1].Goroutines, slope*60, drift, soakGoroutineDrift, yesNo(math.Abs(drift) <= soakGoroutineDrift))
	} else {
		fmt.Fprintln(w, "| goroutines | - | - | - | - | not measured (no --metrics or --pprof endpoint answered) |")
	}
	if r.BaselineFDs > 0 {
		fmt.Fprintf(w, "| open descriptors | %d | %d | before any connection: %d | after every connection closed: %d | %s |\n",
			pts[0].FDs, pts[len(pts)-1].FDs, r.BaselineFDs, r.FinalFDs, yesNo(r.FinalFDs <= r.BaselineFDs))
	}
	if r.BaselineGoroutines > 0 && r.FinalGoroutines > 0 {
		fmt.Fprintf(w, "| goroutines, before and after | | | before any connection: %d | after every connection closed: %d | %s |\n",
			r.BaselineGoroutines, r.FinalGoroutines, yesNo(r.FinalGoroutines <= r.BaselineGoroutines+soakGoroutineDrift))
	}
	fmt.Fprintln(w)
	wellErrs := r.Errors + r.Timeouts
	c := r.Churn
	if c == nil {
		c = &perf.ChurnStats{}
	}
	wellErrs += c.PoliteErrors
	fmt.Fprintf(w, "Errors of well-behaved clients: **%d** (the measured load: %d calls answered well, %d errors%s, %d timeouts, %d refused; "+
		"polite churn: %d cycles, %d errors%s). Lost connections of the measured load: %d.\n\n",
		wellErrs, r.Calls, r.Errors, kinds(r.ErrorKinds), r.Timeouts, r.Refused, c.Polite, c.PoliteErrors, kinds(c.ErrorKinds), r.LostConns)
	fmt.Fprintf(w, "Abrupt churn: %d resets after a call, %d resets mid-request, %d GET SSE streams opened and reset, "+
		"%d streamed answers reset after their first event (%d answers of the streaming tool came whole), %d abrupt cycles "+
		"that failed before their reset, %d cycles skipped while %d were running.\n\n",
		c.Resets, c.MidRequest, c.StreamsCut, c.CutMidStream, c.NotStreamed, c.Abrupt, c.Skipped, perf.MaxChurning)
	fmt.Fprintf(w, "Latency of the measured calls: p50 %.0f µs, p99 %.0f µs, p99.9 %.0f µs; server CPU %s µs per call.\n\n",
		r.P50us, r.P99us, r.P999us, userCell(r.ServerCPUPerCallUs))
	fmt.Fprintf(w, "Command (server address varies): `%s`\n\n", soak.Command)
	if chartsDir != "" && len(pts) > 0 {
		const name = "soak.svg"
		if err := chart.Write(filepath.Join(chartsDir, name), "soak: densemcp under churn at half capacity", perf.TimePanels(pts)); err != nil {
			return err
		}
		fmt.Fprintf(w, "![%s](%s/%s)\n\n", name, chartLink, name)
	}
	return nil
}

// secondHalf is the points of the second half of the run.
func secondHalf(pts []perf.Point) []perf.Point {
	if len(pts) < 4 {
		return pts
	}
	mid := (pts[0].T + pts[len(pts)-1].T) / 2
	for i, p := range pts {
		if p.T >= mid {
			return pts[i:]
		}
	}
	return pts
}

// fit returns the least-squares slope of y over x and the mean of y.
func fit(x, y []float64) (slope, mean float64) {
	n := float64(len(x))
	var sx, sy, sxx, sxy float64
	for i := range x {
		sx += x[i]
		sy += y[i]
		sxx += x[i] * x[i]
		sxy += x[i] * y[i]
	}
	d := n*sxx - sx*sx
	if d == 0 {
		return 0, sy / n
	}
	return (n*sxy - sx*sy) / d, sy / n
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "**no**"
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// churnRate reads --churn N from the command; the bench default otherwise.
func churnRate(cmd string) string {
	var n int
	for _, f := range bytes.Fields([]byte(cmd)) {
		if n == -1 {
			return string(f) + " cycles a second of"
		}
		if string(f) == "--churn" {
			n = -1
		}
	}
	return "50 cycles a second of"
}

// kinds prints error counts by kind, or nothing when there are none.
func kinds(m map[string]uint64) string {
	if len(m) == 0 {
		return ""
	}
	return fmt.Sprintf(" %v", m)
}
