// Command report turns the JSON lines that perf/compare.sh collects (one object per bench
// run: {"server","scenario","command","row"}) into perf/RESULTS.md on stdout.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/densemcp/densemcp/perf"
	"golang.org/x/sys/unix"
)

// record is one bench run as compare.sh writes it.
type record struct {
	Server   string   `json:"server"`
	Scenario string   `json:"scenario"`
	Command  string   `json:"command"`
	Row      perf.Row `json:"row"`
	// Loops is the server's event loops (perf/cores.sh; 0 elsewhere).
	Loops int `json:"loops,omitempty"`

	// Set by mergeRounds: how many rounds the row is the median of, and the server CPU
	// per call of each.
	Rounds    int       `json:"-"`
	CPURounds []float64 `json:"-"`
	P99Rounds []float64 `json:"-"`
}

func main() {
	in := flag.String("in", "", "JSON lines written by compare.sh")
	cmd := flag.String("command", "perf/compare.sh", "the command that produced the results")
	notes := flag.String("notes", "", "a file whose text is appended (servers skipped, etc.)")
	section := flag.String("section", "", "write a section with this title (## title, ### scenarios) instead of the whole file")
	overload := flag.Bool("overload", false, "write the overload section (perf/overload.sh's rows)")
	cores := flag.Bool("cores", false, "write the per-core scaling section (perf/cores.sh's rows)")
	soak := flag.Bool("soak", false, "write the soak section (perf/soak.sh's rows)")
	charts := flag.String("charts", "", "draw the section's charts into this directory")
	chartLink := flag.String("chart-link", "charts", "the charts directory as the report links it")
	placement := flag.String("placement", "", "overload: where servers and generator ran, in place of the 2-CPU default's sentences")
	flag.Float64Var(&rssBoundMiB, "rss-bound-mib", rssBoundMiB, "overload: the fixed bound on the server's RSS that the verdicts hold it to, in MiB")
	flag.Parse()
	recs, err := readRecords(*in)
	if err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
	var extra []byte
	if *notes != "" {
		extra, _ = os.ReadFile(*notes)
	}
	switch {
	case *overload:
		err = writeOverload(os.Stdout, recs, *cmd, extra, *charts, *chartLink, *section, *placement)
	case *cores:
		err = writeCores(os.Stdout, recs, *cmd, extra, *charts, *chartLink)
	case *soak:
		err = writeSoak(os.Stdout, recs, *cmd, extra, *charts, *chartLink)
	default:
		write(os.Stdout, recs, *cmd, extra, *section)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

func readRecords(path string) ([]record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var recs []record
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("cannot parse %q: %w", sc.Text(), err)
		}
		recs = append(recs, r)
	}
	return recs, sc.Err()
}

func write(w io.Writer, recs []record, cmd string, notes []byte, section string) {
	h := "##"
	if section == "" {
		fmt.Fprintf(w, "# densemcp benchmark results\n\n")
	} else {
		fmt.Fprintf(w, "## %s\n\n", section)
		h = "###"
	}
	fmt.Fprintf(w, "Report written %s. Command: `%s`.\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"), cmd)
	fmt.Fprintf(w, "Machine: %d CPUs (%s), kernel %s, %s %s/%s.\n\n", runtime.NumCPU(), cpuModel(), kernel(),
		runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintln(w, "Each server runs pinned to CPU 0 with GOMAXPROCS=1; the generator (perf/bench, the same code as "+
		"`densemcp bench`) is pinned to CPU 1. Latency is measured from the intended send time; CPU per call is "+
		"the server's utime+stime from /proc over the measured window divided by the calls answered in it "+
		"(10 ms tick resolution); `of it user` is the utime share. On loopback the kernel's TCP work for both "+
		"ends is system time that server and generator pay alike; on this VM user time also carries the syscall "+
		"entry and exit (the floor, which does no work, shows ~3 µs of it per call at one call in flight), so a "+
		"server's own work is about its user time minus the floor's. "+
		"Every answer is verified (id and echo text); errors and timeouts are counted. "+
		"`gen` is the generator's own CPU per call (getrusage). "+
		"A spinning generator polls for answers without ever sleeping, so the server never pays to wake it "+
		"(an IPI and a context switch on every answer, which a server with remote clients does not pay and "+
		"which a slower server would pay more often); its `gen` CPU leaves out the polls that found nothing (its `of it user` still holds their small user share).")
	if io := transports(recs); io != "" {
		fmt.Fprintf(w, "The generator's measured calls: %s.\n", io)
	}
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
		if by[sc][0].Row.Shape == "ramp" {
			fmt.Fprintf(w, "%s %s\n\n", h, sc)
			writeSteps(w, by[sc])
			fmt.Fprintf(w, "\nCommand (server address varies): `%s`\n\n", by[sc][0].Command)
			continue
		}
		rs := mergeRounds(by[sc])
		fmt.Fprintf(w, "%s %s\n\n", h, sc)
		if rs[0].Row.Shape == "hold" {
			writeHold(w, rs)
		} else {
			writeLoad(w, rs)
		}
		fmt.Fprintf(w, "\nCommand (server address varies): `%s`\n\n", rs[0].Command)
	}
}

// transports names how the generator moved the load rows' calls, the most used way first:
// "io_uring, spinning", or with the scenarios that say otherwise in brackets.
func transports(recs []record) string {
	count := map[string]int{}
	var labels []string
	for _, r := range recs {
		if r.Row.Shape == "hold" || r.Row.IO == "" {
			continue
		}
		l := transportLabel(r.Row)
		if count[l] == 0 {
			labels = append(labels, l)
		}
		count[l]++
	}
	if len(labels) == 0 {
		return ""
	}
	slices.SortStableFunc(labels, func(a, b string) int { return count[b] - count[a] })
	if len(labels) == 1 {
		return labels[0]
	}
	return fmt.Sprintf("%s (the scenarios that say so: %s)", labels[0], strings.Join(labels[1:], "; "))
}

func transportLabel(r perf.Row) string {
	io := map[string]string{"uring": "io_uring", "epoll": "epoll", "mixed": "io_uring and epoll (a ring was refused to some workers)"}[r.IO]
	if r.Spin {
		return io + ", spinning"
	}
	return io + ", sleeping until answers come"
}

// mergeRounds folds the rounds of each server (compare.sh runs every scenario ROUNDS
// times, servers interleaved, because a shared VM drifts between runs) into one record:
// the median of each rate, latency and CPU figure, errors and timeouts summed. The
// servers keep the order they first appear in.
func mergeRounds(rs []record) []record {
	var out []record
	idx := map[string]int{}
	var rounds [][]perf.Row
	for _, r := range rs {
		i, ok := idx[r.Server]
		if !ok {
			i = len(out)
			idx[r.Server] = i
			out = append(out, r)
			rounds = append(rounds, nil)
		}
		rounds[i] = append(rounds[i], r.Row)
	}
	for i := range out {
		out[i].Row = medianRow(rounds[i])
		out[i].Rounds = len(rounds[i])
		for _, x := range rounds[i] {
			out[i].CPURounds = append(out[i].CPURounds, x.ServerCPUPerCallUs)
			out[i].P99Rounds = append(out[i].P99Rounds, x.P99us)
		}
	}
	return out
}

func medianRow(xs []perf.Row) perf.Row {
	m := xs[0]
	med := func(get func(*perf.Row) float64) float64 {
		v := make([]float64, len(xs))
		for i := range xs {
			v[i] = get(&xs[i])
		}
		slices.Sort(v)
		if n := len(v); n%2 == 0 {
			return (v[n/2-1] + v[n/2]) / 2
		}
		return v[len(v)/2]
	}
	m.CallsPerSec = med(func(r *perf.Row) float64 { return r.CallsPerSec })
	m.P50us = med(func(r *perf.Row) float64 { return r.P50us })
	m.P95us = med(func(r *perf.Row) float64 { return r.P95us })
	m.P99us = med(func(r *perf.Row) float64 { return r.P99us })
	m.P999us = med(func(r *perf.Row) float64 { return r.P999us })
	m.ServerCPUPerCallUs = med(func(r *perf.Row) float64 { return r.ServerCPUPerCallUs })
	m.ServerUserPerCallUs = med(func(r *perf.Row) float64 { return r.ServerUserPerCallUs })
	m.GenCPUPerCallUs = med(func(r *perf.Row) float64 { return r.GenCPUPerCallUs })
	m.GenUserPerCallUs = med(func(r *perf.Row) float64 { return r.GenUserPerCallUs })
	m.RSSPerConnBytes = med(func(r *perf.Row) float64 { return r.RSSPerConnBytes })
	m.Errors, m.Timeouts = 0, 0
	for _, x := range xs {
		m.Errors += x.Errors
		m.Timeouts += x.Timeouts
	}
	return m
}

// roundsCell lists the server CPU per call of every round, the spread behind the median.
func roundsCell(r record) string {
	if r.Rounds < 2 {
		return "-"
	}
	parts := make([]string, len(r.CPURounds))
	for i, v := range r.CPURounds {
		parts[i] = fmt.Sprintf("%.2f", v)
	}
	return strings.Join(parts, " / ")
}

// pairedCPURatio is the median over rounds of x's server CPU per call divided by the
// floor's in the same round: servers of one round ran minutes apart, so the pairing cancels
// most of the drift between rounds that a ratio of medians keeps. With unequal rounds it
// falls back to the ratio of the medians.
func pairedCPURatio(x, floor record) string {
	return pairedRatio(x.Rounds, floor.Rounds, x.CPURounds, floor.CPURounds, x.Row.ServerCPUPerCallUs, floor.Row.ServerCPUPerCallUs)
}

// pairedP99Ratio is pairedCPURatio for the p99 latency.
func pairedP99Ratio(x, floor record) string {
	return pairedRatio(x.Rounds, floor.Rounds, x.P99Rounds, floor.P99Rounds, x.Row.P99us, floor.Row.P99us)
}

func pairedRatio(xRounds, fRounds int, xs, fs []float64, xMed, fMed float64) string {
	if xRounds < 2 || xRounds != fRounds {
		return ratio(xMed, fMed)
	}
	var rs []float64
	for i := range xs {
		if a, b := xs[i], fs[i]; a > 0 && b > 0 {
			rs = append(rs, a/b)
		}
	}
	if len(rs) == 0 {
		return "-"
	}
	slices.Sort(rs)
	med := rs[len(rs)/2]
	if len(rs)%2 == 0 {
		med = (rs[len(rs)/2-1] + rs[len(rs)/2]) / 2
	}
	return fmt.Sprintf("%.2f×", med)
}

func findRecord(rs []record, server string) *record {
	for i := range rs {
		if rs[i].Server == server {
			return &rs[i]
		}
	}
	return nil
}

func find(rs []record, server string) *perf.Row {
	for i := range rs {
		if rs[i].Server == server {
			return &rs[i].Row
		}
	}
	return nil
}

// userCell prints a user-time share; rows from before it was measured have none.
func userCell(v float64) string {
	if v <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", v)
}

func ratio(a, b float64) string {
	if a <= 0 || b <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func writeLoad(w io.Writer, rs []record) {
	floor := find(rs, "floor")
	if rs[0].Rounds > 1 {
		fmt.Fprintf(w, "Medians of %d rounds (the servers take turns per scenario); CPU/call ÷ floor is the median of the per-round ratios.\n\n", rs[0].Rounds)
	}
	fmt.Fprintln(w, "| server | calls/s | p50 µs | p95 µs | p99 µs | p99.9 µs | errors | timeouts | server CPU µs/call | of it user | gen CPU µs/call | of it user | CPU/call ÷ floor | calls/s ÷ floor | server CPU µs/call by round |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, r := range rs {
		x := r.Row
		cpuR, rateR := "-", "-"
		if floor != nil {
			cpuR, rateR = pairedCPURatio(r, *findRecord(rs, "floor")), ratio(x.CallsPerSec, floor.CallsPerSec)
		}
		fmt.Fprintf(w, "| %s | %.0f | %.0f | %.0f | %.0f | %.0f | %d | %d | %.2f | %s | %.2f | %s | %s | %s | %s |\n", r.Server,
			x.CallsPerSec, x.P50us, x.P95us, x.P99us, x.P999us, x.Errors, x.Timeouts, x.ServerCPUPerCallUs,
			userCell(x.ServerUserPerCallUs), x.GenCPUPerCallUs, userCell(x.GenUserPerCallUs), cpuR, rateR, roundsCell(r))
	}
	if d, f := findRecord(rs, "densemcp"), findRecord(rs, "floor"); d != nil && f != nil && d.Row.Conns >= 256 && d.Row.Depth == 1 {
		// The first perf round's absolute p99 target needed a faster core than the floor
		// itself has here; it is restated against the floor in the same run.
		fmt.Fprintf(w, "\np99 ÷ the floor's p99 in the same rounds: %s (median of the per-round ratios; target ≤ 1.2×). densemcp %.0f µs, the floor %.0f µs.\n",
			pairedP99Ratio(*d, *f), d.Row.P99us, f.Row.P99us)
	}
	if d := find(rs, "densemcp"); d != nil {
		var parts []string
		for _, peer := range []string{"gosdk", "mcpgo"} {
			if p := find(rs, peer); p != nil {
				parts = append(parts, fmt.Sprintf("vs %s: %s calls/s, %s CPU per call", peer,
					ratio(d.CallsPerSec, p.CallsPerSec), ratio(d.ServerCPUPerCallUs, p.ServerCPUPerCallUs)))
			}
		}
		if len(parts) > 0 {
			fmt.Fprintf(w, "\ndensemcp %s.\n", strings.Join(parts, "; "))
		}
	}
}

// writeSteps prints a ramp: one line per server and step, in the order they ran.
func writeSteps(w io.Writer, rs []record) {
	fmt.Fprintln(w, "| server | offered calls/s | calls/s | p50 µs | p99 µs | errors | timeouts | refused | server CPU µs/call |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, r := range rs {
		x := r.Row
		fmt.Fprintf(w, "| %s | %d | %.0f | %.0f | %.0f | %d | %d | %d | %s |\n", r.Server, x.OfferedRate, x.CallsPerSec,
			x.P50us, x.P99us, x.Errors, x.Timeouts, x.Refused, userCell(x.ServerCPUPerCallUs))
	}
}

func writeHold(w io.Writer, rs []record) {
	floor := find(rs, "floor")
	fmt.Fprintln(w, "| server | connections | established | failed | baseline RSS MiB | held RSS MiB | RSS per connection B | ÷ floor |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, r := range rs {
		x := r.Row
		rr := "-"
		if floor != nil {
			rr = ratio(x.RSSPerConnBytes, floor.RSSPerConnBytes)
		}
		fmt.Fprintf(w, "| %s | %d | %d | %d | %.1f | %.1f | %.0f | %s |\n", r.Server, x.Conns, x.Established,
			x.SetupFailed, float64(x.BaselineRSSBytes)/(1<<20), float64(x.ServerRSSBytes)/(1<<20), x.RSSPerConnBytes, rr)
	}
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown model"
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown model"
}

func kernel() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "unknown"
	}
	return unix.ByteSliceToString(u.Release[:])
}
