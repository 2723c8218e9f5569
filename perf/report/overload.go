package main

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/densemcp/densemcp/perf"
	"github.com/densemcp/densemcp/perf/chart"
)

// writeOverload writes the overload section (perf/overload.sh): per scenario a table of every
// server's windows at multiples of its capacity, a sentence per server saying from the
// numbers what it does past capacity, and a chart drawn into chartsDir.
// title (default "Overload: past capacity") heads it; placement, if set, replaces the sentences
// saying where the servers and the generator ran on a 2-CPU machine.
func writeOverload(w io.Writer, recs []record, cmd string, notes []byte, chartsDir, chartLink, title, placement string) error {
	if title == "" {
		title = "Overload: past capacity"
	}
	if placement == "" {
		placement = "A scenario \"on 1 core\" runs the server pinned to CPU 0 with GOMAXPROCS=1 and the generator on CPU 1: " +
			"there a loop starved by handlers shows. A scenario \"on all CPUs\" runs densemcp unpinned with GOMAXPROCS at " +
			"every CPU and the generator unpinned beside it, sharing those CPUs: on a 2-CPU machine its capacity is what the " +
			"server gets next to the generator, not a second core of its own."
	}
	fmt.Fprintf(w, "## %s\n\n", title)
	fmt.Fprintf(w, "Report written %s. Command: `%s`.\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"), cmd)
	fmt.Fprintf(w, "Machine: %d CPUs (%s), kernel %s, %s %s/%s.\n\n", runtime.NumCPU(), cpuModel(), kernel(),
		runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintln(w, placement+" For each server, "+
		"`densemcp bench --shape overload` first measures its capacity: the goodput of a closed-loop run on the "+
		"scenario's connections and calls in flight, whose clients wait out each refusal's retry hint (a client "+
		"that retries at once makes a retry storm, which measures how fast the server refuses), then the goodput "+
		"of twice that offered open loop, doubled again (at most three open-loop runs) while the server answers "+
		"95% of what it is offered, since a closed loop of many calls in flight whose refused slots sit out "+
		"their retry hint can measure far below capacity; when a run that fell short showed less goodput than the closed "+
		"loop did, the closed loop's rate is offered open loop once more (a server can collapse past its capacity, and "+
		"is judged against what it can do); the capacity is the most goodput an open-loop run showed. It then offers multiples of that capacity open loop, at most "+
		"the scenario's calls in flight per connection; a call due when every connection has its calls in flight "+
		"is not sent and counts as shed (a client's own queue). Goodput counts the accepted calls answered well, "+
		"and the latency columns are theirs, from each call's intended send time. A refusal is an HTTP 503 or 429 "+
		"with Retry-After, or a JSON-RPC error in -32099..-32000 whose data carries retryAfterMs. \"Within 10 ms\" "+
		"is the share of the calls not served (refused, failed or timed out) that got a refusal within 10 ms. "+
		"densemcp serves `--fixtures load`; the go-sdk and mcp-go peers (perf/peers) serve the same echo and work tools "+
		"over legacy HTTP (they speak neither the modern era nor NDJSON over TCP).")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "The criteria (issue 11), held against each server's windows at 2× and 4×: with `work`, at least 90%% of the calls "+
		"not served got an explicit refusal within 10 ms, goodput at least 90%% of capacity, the p99 of accepted calls within "+
		"5× their p99 at 0.5×, the server's RSS within %.0f MiB, and no errors or timeouts; with `echo` (where refusing costs "+
		"as much as answering), goodput at 2× at least 90%% of capacity, RSS within the bound and no errors or timeouts. "+
		"Calls the generator shed (every connection already had its calls in flight) are its own queue, not the server's, and "+
		"are not held against it. Latencies count from each call's intended send time, so a generator that falls behind "+
		"its schedule (its own core saturated) charges its delay to the server: where the p99 of its send lag in a window, or "+
		"at 0.5×, is over %s ms, that window's latency criteria are left unjudged and the sentence says so.\n", rssBoundMiB, ms(maxSendLagUs))
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
		servers, rows := groupByServer(by[sc])
		fmt.Fprintln(w, "| server | capacity calls/s | offered × capacity | offered calls/s | goodput calls/s | goodput ÷ capacity | p50 ms | p99 ms | p99 ÷ p99 at the lowest load | refused % of sent | within 10 ms | refusal p99 ms | shed | errors | timeouts | server RSS MiB | generator send lag p99 ms |")
		fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
		for _, s := range servers {
			steps := rows[s]
			for _, x := range steps {
				fmt.Fprintf(w, "| %s | %.0f | %g | %d | %.0f | %s | %s | %s | %s | %s | %s | %s | %d | %d | %d | %.1f | %s |\n",
					s, x.Capacity, x.Multiple, x.OfferedRate, x.CallsPerSec, share(x.CallsPerSec, x.Capacity),
					ms(x.P50us), ms(x.P99us), ratio(x.P99us, steps[0].P99us), pct(x.RefusalRate), fastShare(x),
					ms(x.RefusalP99us), x.Shed, x.Errors, x.Timeouts, float64(x.ServerRSSBytes)/(1<<20), ms(x.SendLagP99us))
			}
		}
		fmt.Fprintln(w)
		echo := strings.HasPrefix(sc, "echo")
		for _, s := range servers {
			fmt.Fprintf(w, "- %s %s", verdictSentence(s, rows[s]), criteriaSentence(rows[s], echo))
			if strings.Contains(sc, "on 1 core") {
				if c := costSentence(rows[s]); c != "" {
					fmt.Fprintf(w, " %s", c)
				}
			}
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "\nCommand (server address varies): `%s`\n\n", by[sc][0].Command)
		if chartsDir != "" {
			name := "overload-" + slug(sc) + ".svg"
			if err := chart.Write(filepath.Join(chartsDir, name), sc, overloadPanels(servers, rows)); err != nil {
				return fmt.Errorf("chart of %q: %w", sc, err)
			}
			fmt.Fprintf(w, "![%s](%s/%s)\n\n", name, chartLink, name)
		}
	}
	return nil
}

// groupByServer returns the servers in the order they ran and each one's overload windows
// (the capacity run's row left out), lowest multiple first.
func groupByServer(rs []record) ([]string, map[string][]perf.Row) {
	var servers []string
	rows := map[string][]perf.Row{}
	for _, r := range rs {
		if r.Row.Shape != "overload" {
			continue
		}
		if _, ok := rows[r.Server]; !ok {
			servers = append(servers, r.Server)
		}
		rows[r.Server] = append(rows[r.Server], r.Row)
	}
	return servers, rows
}

// verdictSentence says from the numbers what server does at its highest load.
func verdictSentence(server string, steps []perf.Row) string {
	lo, hi := steps[0], steps[len(steps)-1]
	var b strings.Builder
	if hi.CallsPerSec >= 0.95*float64(hi.OfferedRate) {
		fmt.Fprintf(&b, "**%s** answered all the load offered, up to %g× the capacity measured before (%s calls/s at %d offered), so that capacity run measured it low and this run shows nothing past its capacity; rerun on a quieter machine or give --capacity",
			server, hi.Multiple, fmt.Sprintf("%.0f", hi.CallsPerSec), hi.OfferedRate)
	} else if hi.RefusalRate >= 0.01 {
		fmt.Fprintf(&b, "**%s** refuses past capacity: at %g× it refused %s of the calls sent (%s of the calls not served got a refusal within 10 ms; p99 %s ms to a refusal), kept %s of capacity as goodput, and the p99 of accepted calls was %s ms, %s its p99 at %g×",
			server, hi.Multiple, pct(hi.RefusalRate), fastShare(hi), ms(hi.RefusalP99us), share(hi.CallsPerSec, hi.Capacity),
			ms(hi.P99us), ratio(hi.P99us, lo.P99us), lo.Multiple)
	} else {
		fmt.Fprintf(&b, "**%s** refuses nothing: at %g× its goodput was %s of capacity and the excess waited in queues, so the p99 of accepted calls grew to %s ms, %s its p99 at %g×",
			server, hi.Multiple, share(hi.CallsPerSec, hi.Capacity), ms(hi.P99us), ratio(hi.P99us, lo.P99us), lo.Multiple)
	}
	if hi.Timeouts > 0 {
		fmt.Fprintf(&b, "; %d calls went unanswered past the generator's timeout", hi.Timeouts)
	}
	if hi.Shed > 0 && hi.Sent > 0 {
		fmt.Fprintf(&b, "; %d calls (%s of those due) were never sent because every connection already had its calls in flight", hi.Shed,
			pct(float64(hi.Shed)/float64(hi.Shed+hi.Sent)))
	}
	if hi.Errors > 0 {
		fmt.Fprintf(&b, "; %d errors %v", hi.Errors, hi.ErrorKinds)
	}
	b.WriteString(".")
	return b.String()
}

// rssBoundMiB is the fixed bound on the server's RSS the criteria hold it to (--rss-bound-mib).
var rssBoundMiB = 256.0

// criteriaSentence holds a server's windows at 2× and 4× (echo: 2× alone) to issue 11's
// criteria and says which it met and which it missed, with the figures.
func criteriaSentence(steps []perf.Row, echo bool) string {
	var lo *perf.Row
	for i := range steps {
		if steps[i].Multiple == 0.5 {
			lo = &steps[i]
		}
	}
	for _, x := range steps {
		if (x.Multiple == 2 || x.Multiple == 4) && x.CallsPerSec > 1.1*x.Capacity {
			return fmt.Sprintf("Criteria: not judged: goodput at %g× was %s of the capacity measured before, so that capacity run measured it low and the load never went past it.",
				x.Multiple, share(x.CallsPerSec, x.Capacity))
		}
	}
	var missed, met, unjudged []string
	judge := func(ok bool, s string) {
		if ok {
			met = append(met, s)
		} else {
			missed = append(missed, s)
		}
	}
	checked := 0
	for _, x := range steps {
		if x.Multiple != 2 && (echo || x.Multiple != 4) {
			continue
		}
		checked++
		at := fmt.Sprintf("at %g×", x.Multiple)
		g := x.CallsPerSec / max(x.Capacity, 1)
		judge(g >= 0.9, fmt.Sprintf("goodput %s %s of capacity", at, pct(g)))
		if !echo && (x.SendLagP99us > maxSendLagUs || (lo != nil && lo.SendLagP99us > maxSendLagUs)) {
			// Latencies count from each call's intended send time: a generator that fell
			// behind charged its own delay to them, so they do not measure the server.
			lag := x
			if lo != nil && lo.SendLagP99us > lag.SendLagP99us {
				lag = *lo
			}
			unjudged = append(unjudged, fmt.Sprintf("refusals within 10 ms and p99 %s (the generator sent late: p99 of its send lag %s ms at %g×, over %s ms)",
				at, ms(lag.SendLagP99us), lag.Multiple, ms(maxSendLagUs)))
		} else if !echo {
			if x.NotServed > 0 {
				f := float64(x.RefusedFast) / float64(x.NotServed)
				judge(f >= 0.9, fmt.Sprintf("%s of the calls not served %s refused within 10 ms", pct(f), at))
			}
			if lo != nil && lo.P99us > 0 {
				judge(x.P99us <= 5*lo.P99us, fmt.Sprintf("p99 %s %s the p99 at 0.5×", at, ratio(x.P99us, lo.P99us)))
			} else {
				missed = append(missed, "no p99 at 0.5× to compare with")
			}
		}
		rss := float64(x.ServerRSSBytes) / (1 << 20)
		judge(x.ServerRSSBytes > 0 && rss <= rssBoundMiB, fmt.Sprintf("RSS %s %.0f MiB", at, rss))
		judge(x.Errors == 0 && x.Timeouts == 0, fmt.Sprintf("%d errors and %d timeouts %s", x.Errors, x.Timeouts, at))
	}
	if checked == 0 {
		return "Criteria: not judged (no window at 2× or 4×)."
	}
	notJudged := ""
	if len(unjudged) > 0 {
		notJudged = "; not judged: " + strings.Join(unjudged, "; ")
	}
	if len(missed) == 0 && len(unjudged) > 0 {
		return "Criteria: met where judged (" + strings.Join(met, "; ") + notJudged + ")."
	}
	if len(missed) == 0 {
		return "Criteria: **met** (" + strings.Join(met, "; ") + ")."
	}
	return "Criteria: **missed**: " + strings.Join(missed, "; ") + " (met: " + strings.Join(met, "; ") + notJudged + ")."
}

// maxSendLagUs is the most the generator may send late (p99 against the intended times) for
// a window's latencies to judge the server: a tenth of the 10 ms a refusal is allowed.
const maxSendLagUs = 1000.0

// costSentence splits the CPU a one-core server spent at 2× and 4× into what a served call
// and what a refusal cost (two windows, two unknowns: cpu = goodput·s + refused·r), and says
// how much goodput one core can keep at 4× at those costs when every call offered reaches
// it: g·s + (4·capacity − g)·r ≤ 1 s per second. It says nothing when goodput at 4× was
// 90% of capacity or more, or when the windows do not give two positive costs.
func costSentence(steps []perf.Row) string {
	var x2, x4 *perf.Row
	for i := range steps {
		switch steps[i].Multiple {
		case 2:
			x2 = &steps[i]
		case 4:
			x4 = &steps[i]
		}
	}
	if x2 == nil || x4 == nil || x4.Capacity <= 0 || x4.CallsPerSec >= 0.9*x4.Capacity {
		return ""
	}
	cpu := func(x *perf.Row) float64 { return x.ServerCPUPerCallUs * x.CallsPerSec } // µs per second
	g2, f2, g4, f4 := x2.CallsPerSec, x2.RefusedPerSec, x4.CallsPerSec, x4.RefusedPerSec
	det := g2*f4 - g4*f2
	if x2.ServerCPUPerCallUs <= 0 || x4.ServerCPUPerCallUs <= 0 || f2 <= 0 || f4 <= 0 || math.Abs(det) < 1e-9*g2*f4 {
		return ""
	}
	served := (cpu(x2)*f4 - cpu(x4)*f2) / det
	refusal := (g2*cpu(x4) - g4*cpu(x2)) / det
	if !(served > 0 && refusal > 0 && refusal < served) || math.IsInf(served, 0) {
		return ""
	}
	c := x4.Capacity
	bound := (1e6 - 4*c*refusal) / (served - refusal) / c
	need := (1e6 - 0.9*c*served) / (3.1 * c)
	return fmt.Sprintf("Cost: from the CPU it used at 2× and 4×, a served call cost about %.1f µs of its one core and a refusal %.1f µs; "+
		"refusing all %.0f calls/s offered at 4× would take %s of the core, so one core keeps at most %s of capacity as goodput, "+
		"and 90%% needs a refusal to cost at most %.1f µs.",
		served, refusal, 4*c, pct(min(4*c*refusal/1e6, 1)), pct(max(bound, 0)), max(need, 0))
}

func overloadPanels(servers []string, rows map[string][]perf.Row) []chart.Panel {
	good := chart.Panel{Title: "goodput ÷ capacity", XLabel: "offered load, × capacity", YLabel: "goodput ÷ capacity"}
	p99 := chart.Panel{Title: "p99 of accepted calls", XLabel: "offered load, × capacity", YLabel: "ms (log)", LogY: true}
	ref := chart.Panel{Title: "refused share of the calls sent", XLabel: "offered load, × capacity", YLabel: "refused ÷ sent"}
	for _, s := range servers {
		var x, g, p, r []float64
		for _, row := range rows[s] {
			x = append(x, row.Multiple)
			g = append(g, row.CallsPerSec/max(row.Capacity, 1))
			p = append(p, row.P99us/1e3)
			r = append(r, row.RefusalRate)
		}
		good.Series = append(good.Series, chart.Series{Name: s, X: x, Y: g})
		p99.Series = append(p99.Series, chart.Series{Name: s, X: x, Y: p})
		ref.Series = append(ref.Series, chart.Series{Name: s, X: x, Y: r})
	}
	return []chart.Panel{good, p99, ref}
}

// fastShare is the share of the calls not served that got a refusal within 10 ms.
func fastShare(x perf.Row) string {
	if x.NotServed == 0 {
		return "-"
	}
	return pct(float64(x.RefusedFast) / float64(x.NotServed))
}

func share(a, b float64) string {
	if b <= 0 {
		return "-"
	}
	return pct(a / b)
}

func pct(f float64) string { return fmt.Sprintf("%.0f%%", 100*f) }

func ms(us float64) string {
	switch {
	case us <= 0:
		return "-"
	case us < 10_000:
		return fmt.Sprintf("%.2f", us/1e3)
	}
	return fmt.Sprintf("%.0f", us/1e3)
}

// slug turns a scenario's name into a file name: lower-case letters and digits, dashes.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(s) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}
