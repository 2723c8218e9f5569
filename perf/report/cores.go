package main

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/densemcp/densemcp/perf/chart"
)

// coreTargets are issue 16's bounds on densemcp's server CPU per call ÷ the floor's, by a
// phrase of the scenario's name.
var coreTargets = []struct {
	match string
	bound float64
}{
	{"16 pipelined", 1.3},
	{"8 pipelined", 1.3},
	{"modern", 1.2},
}

// writeCores writes the per-core scaling section (perf/cores.sh): per scenario, densemcp and
// the floor at each loop count (medians of the rounds), the ratios, the growth of CPU per
// call from the fewest loops, the targets, and a chart drawn into chartsDir.
func writeCores(w io.Writer, recs []record, cmd string, notes []byte, chartsDir, chartLink string) error {
	fmt.Fprintf(w, "## Per-core scaling: densemcp and the floor at 1, 2, 4 … loops\n\n")
	fmt.Fprintf(w, "Report written %s. Command: `%s`.\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"), cmd)
	fmt.Fprintf(w, "Machine: %d CPUs (%s), kernel %s, %s %s/%s.\n\n", runtime.NumCPU(), cpuModel(), kernel(),
		runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintln(w, "With L loops the server runs GOMAXPROCS=L pinned to CPUs 0..L-1; the generator runs on the second "+
		"half of the CPUs (GOMAXPROCS = half). Rounds interleave loop counts, scenarios and the two servers; each "+
		"figure is the median of the rounds, and CPU ÷ floor the median of the per-round ratios. CPU per call is "+
		"the server's user+system time over the measured window divided by the calls answered in it. Growth is "+
		"the CPU per call at L loops over that at the fewest loops measured.")
	fmt.Fprintln(w)
	if len(notes) > 0 {
		fmt.Fprintf(w, "%s\n\n", bytes.TrimSpace(notes))
	}
	var order []string
	by := map[string][]record{}
	for _, r := range recs {
		if _, ok := by[r.Scenario]; !ok {
			order = append(order, r.Scenario)
		}
		by[r.Scenario] = append(by[r.Scenario], r)
	}
	for _, sc := range order {
		fmt.Fprintf(w, "### %s\n\n", sc)
		pts := corePoints(by[sc])
		fmt.Fprintln(w, "| loops | densemcp calls/s | floor calls/s | calls/s ÷ floor | densemcp CPU µs/call | floor CPU µs/call | CPU/call ÷ floor | densemcp growth | floor growth | densemcp p99 µs | floor p99 µs | p99 ÷ floor | errors | densemcp CPU µs/call by round |")
		fmt.Fprintln(w, "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
		for _, p := range pts {
			fmt.Fprintf(w, "| %d | %.0f | %.0f | %s | %s | %s | %s | %s | %s | %.0f | %.0f | %s | %d | %s |\n", p.loops,
				p.d.Row.CallsPerSec, p.f.Row.CallsPerSec, ratio(p.d.Row.CallsPerSec, p.f.Row.CallsPerSec),
				userCell(p.d.Row.ServerCPUPerCallUs), userCell(p.f.Row.ServerCPUPerCallUs), p.cpuRatio,
				growth(p.d.Row.ServerCPUPerCallUs, pts[0].d.Row.ServerCPUPerCallUs),
				growth(p.f.Row.ServerCPUPerCallUs, pts[0].f.Row.ServerCPUPerCallUs),
				p.d.Row.P99us, p.f.Row.P99us, pairedP99Ratio(p.d, p.f), p.d.Row.Errors+p.f.Row.Errors+p.d.Row.Timeouts+p.f.Row.Timeouts, roundsCell(p.d))
		}
		fmt.Fprintln(w)
		for _, t := range coreTargets {
			if strings.Contains(sc, t.match) {
				fmt.Fprintf(w, "Target: densemcp's CPU per call ≤ %.1f× the floor's at every loop count; throughput ≥ 0.85× the floor's; CPU growth ≤ the floor's + 10 points.\n\n", t.bound)
			}
		}
		if strings.Contains(sc, "× 1 in flight") && !strings.Contains(sc, "modern") {
			fmt.Fprintln(w, "Target (restated against the floor): p99 ≤ 1.2× the floor's p99 in the same run (column p99 ÷ floor).")
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "Command (server address varies): `%s`\n\n", by[sc][0].Command)
		if chartsDir != "" {
			name := "cores-" + slug(sc) + ".svg"
			if err := chart.Write(filepath.Join(chartsDir, name), sc, corePanels(pts)); err != nil {
				return fmt.Errorf("chart of %q: %w", sc, err)
			}
			fmt.Fprintf(w, "![%s](%s/%s)\n\n", name, chartLink, name)
		}
	}
	return nil
}

// corePoint is one loop count of a scenario: densemcp's and the floor's medians.
type corePoint struct {
	loops    int
	d, f     record
	cpuRatio string
}

func corePoints(rs []record) []corePoint {
	byLoops := map[int][]record{}
	for _, r := range rs {
		byLoops[r.Loops] = append(byLoops[r.Loops], r)
	}
	var loops []int
	for l := range byLoops {
		loops = append(loops, l)
	}
	slices.Sort(loops)
	var pts []corePoint
	for _, l := range loops {
		m := mergeRounds(byLoops[l])
		d, f := findRecord(m, "densemcp"), findRecord(m, "floor")
		if d == nil || f == nil {
			continue
		}
		pts = append(pts, corePoint{loops: l, d: *d, f: *f, cpuRatio: pairedCPURatio(*d, *f)})
	}
	return pts
}

func corePanels(pts []corePoint) []chart.Panel {
	var x, dc, fc, dcpu, fcpu []float64
	for _, p := range pts {
		x = append(x, float64(p.loops))
		dc = append(dc, p.d.Row.CallsPerSec)
		fc = append(fc, p.f.Row.CallsPerSec)
		dcpu = append(dcpu, p.d.Row.ServerCPUPerCallUs)
		fcpu = append(fcpu, p.f.Row.ServerCPUPerCallUs)
	}
	return []chart.Panel{
		{Title: "throughput", XLabel: "server loops (= cores)", YLabel: "calls/s", Series: []chart.Series{
			{Name: "densemcp", X: x, Y: dc}, {Name: "floor", X: x, Y: fc}}},
		{Title: "server CPU per call", XLabel: "server loops (= cores)", YLabel: "µs per call", Series: []chart.Series{
			{Name: "densemcp", X: x, Y: dcpu}, {Name: "floor", X: x, Y: fcpu}}},
	}
}

// growth prints v over base as a percentage change.
func growth(v, base float64) string {
	if v <= 0 || base <= 0 {
		return "-"
	}
	return fmt.Sprintf("%+.0f%%", 100*(v/base-1))
}
