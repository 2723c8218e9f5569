//go:build linux

package perf

import (
	"fmt"
	"strings"

	"github.com/densemcp/densemcp/perf/chart"
)

// PlotRows draws a run's rows into path (.svg or .png): for a run of several windows (ramp,
// overload) the goodput and refusals per step and the latency of accepted calls per step;
// for one window (closed, open, hold, soak) its time series: calls per second and the
// server's RSS, descriptors and goroutines over time, those that were measured.
func PlotRows(path string, rows []Row) error {
	if len(rows) == 0 {
		return chart.ErrEmpty
	}
	title := plotTitle(rows)
	var steps []Row
	for _, r := range rows {
		if r.Shape == "ramp" || r.Shape == "overload" {
			steps = append(steps, r)
		}
	}
	if len(steps) > 0 {
		return chart.Write(path, title, StepPanels(steps))
	}
	return chart.Write(path, title, TimePanels(rows[len(rows)-1].Series))
}

func plotTitle(rows []Row) string {
	r := rows[len(rows)-1]
	t := fmt.Sprintf("densemcp bench: %s %s, %s, %d connections", r.Target, r.Shape, r.Tool, r.Conns)
	if r.Capacity > 0 {
		t += fmt.Sprintf(", capacity %.0f calls/s", r.Capacity)
	}
	return t
}

// StepPanels are the panels of a ramp or overload run: X is the offered rate, as a multiple
// of capacity when the rows have one.
func StepPanels(rows []Row) []chart.Panel {
	xlabel := "offered calls/s"
	x := func(r Row) float64 { return float64(r.OfferedRate) }
	if rows[0].Multiple > 0 {
		xlabel = "offered load, × capacity"
		x = func(r Row) float64 { return r.Multiple }
	}
	var xs, good, refused, offered, p50, p99, refP99 []float64
	for _, r := range rows {
		xs = append(xs, x(r))
		good = append(good, r.CallsPerSec)
		refused = append(refused, r.RefusedPerSec)
		offered = append(offered, float64(r.OfferedRate))
		p50 = append(p50, r.P50us/1e3)
		p99 = append(p99, r.P99us/1e3)
		refP99 = append(refP99, r.RefusalP99us/1e3)
	}
	return []chart.Panel{
		{Title: "throughput per step", XLabel: xlabel, YLabel: "calls/s", Series: []chart.Series{
			{Name: "offered", X: xs, Y: offered},
			{Name: "goodput (accepted, answered well)", X: xs, Y: good},
			{Name: "refused", X: xs, Y: refused},
		}},
		{Title: "latency per step", XLabel: xlabel, YLabel: "ms (log)", LogY: true, Series: []chart.Series{
			{Name: "p50 accepted", X: xs, Y: p50},
			{Name: "p99 accepted", X: xs, Y: p99},
			{Name: "p99 to a refusal", X: xs, Y: refP99},
		}},
	}
}

// TimePanels are the panels of a time series: each server measure that has a value, then
// calls per second (unless there were none, as in a hold).
func TimePanels(pts []Point) []chart.Panel {
	var t, calls, refused, rss, fds, gor []float64
	var haveCalls, haveRefused, haveRSS, haveFDs, haveGor bool
	for _, p := range pts {
		t = append(t, p.T)
		calls = append(calls, p.CallsPerSec)
		refused = append(refused, p.RefusedPerSec)
		rss = append(rss, float64(p.RSSBytes)/(1<<20))
		fds = append(fds, float64(p.FDs))
		gor = append(gor, float64(p.Goroutines))
		haveCalls = haveCalls || p.CallsPerSec > 0
		haveRefused = haveRefused || p.RefusedPerSec > 0
		haveRSS = haveRSS || p.RSSBytes > 0
		haveFDs = haveFDs || p.FDs > 0
		haveGor = haveGor || p.Goroutines > 0
	}
	const x = "seconds"
	var panels []chart.Panel
	if haveRSS {
		panels = append(panels, chart.Panel{Title: "server RSS", XLabel: x, YLabel: "MiB",
			Series: []chart.Series{{Name: "RSS", X: t, Y: rss}}})
	}
	if haveGor {
		panels = append(panels, chart.Panel{Title: "server goroutines", XLabel: x, YLabel: "goroutines",
			Series: []chart.Series{{Name: "goroutines", X: t, Y: gor}}})
	}
	if haveFDs {
		panels = append(panels, chart.Panel{Title: "server file descriptors", XLabel: x, YLabel: "open fds",
			Series: []chart.Series{{Name: "fds", X: t, Y: fds}}})
	}
	if !haveCalls && len(panels) > 0 {
		return panels // a hold: no calls to draw
	}
	cs := []chart.Series{{Name: "calls/s", X: t, Y: calls}}
	if haveRefused {
		cs = append(cs, chart.Series{Name: "refused/s", X: t, Y: refused})
	}
	return append(panels, chart.Panel{Title: "throughput", XLabel: x, YLabel: "per second", Series: cs})
}

// plotExt reports whether path names a chart format PlotRows writes.
func plotExt(path string) bool {
	p := strings.ToLower(path)
	return strings.HasSuffix(p, ".svg") || strings.HasSuffix(p, ".png")
}
