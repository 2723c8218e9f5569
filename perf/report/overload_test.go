package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/densemcp/densemcp/perf"
)

func overloadRecords() []record {
	const sc = "work, HTTP legacy"
	row := func(m float64, good, p99, refusal float64, refused, fast, notServed, timeouts, shed, sent uint64) perf.Row {
		return perf.Row{Shape: "overload", Capacity: 1000, Multiple: m, OfferedRate: int(1000 * m), CallsPerSec: good,
			P50us: p99 / 3, P99us: p99, RefusalRate: refusal, Refused: refused, RefusedFast: fast, NotServed: notServed,
			RefusalP99us: 900, Timeouts: timeouts, Shed: shed, Sent: sent, ServerRSSBytes: 40 << 20}
	}
	return []record{
		{Server: "densemcp", Scenario: sc, Row: perf.Row{Shape: "capacity", Capacity: 1000, CallsPerSec: 1000}},
		{Server: "densemcp", Scenario: sc, Row: row(0.5, 500, 1000, 0, 0, 0, 0, 0, 0, 2500)},
		{Server: "densemcp", Scenario: sc, Row: row(4, 950, 3000, 0.76, 15200, 15000, 15250, 0, 0, 20000)},
		{Server: "gosdk", Scenario: sc, Row: perf.Row{Shape: "capacity", Capacity: 400, CallsPerSec: 400}},
		{Server: "gosdk", Scenario: sc, Row: row(0.5, 200, 2000, 0, 0, 0, 0, 0, 0, 1000)},
		{Server: "gosdk", Scenario: sc, Row: row(4, 390, 2_500_000, 0, 0, 0, 12, 12, 4000, 2000)},
		{Server: "mcpgo", Scenario: sc, Row: row(0.5, 500, 1000, 0, 0, 0, 0, 0, 0, 2500)},
		{Server: "mcpgo", Scenario: sc, Row: row(4, 3990, 1500, 0, 0, 0, 10, 0, 0, 20000)},
	}
}

func TestWriteOverload(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	if err := writeOverload(&b, overloadRecords(), "perf/overload.sh", []byte("note"), dir, "charts", "", ""); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"## Overload: past capacity", "### work, HTTP legacy",
		"| densemcp | 1000 | 4 | 4000 | 950 | 95% | 1.00 | 3.00 | 3.00× | 76% | 98% | 0.90 |",
		"**densemcp** refuses past capacity: at 4× it refused 76% of the calls sent (98% of the calls not served got a refusal within 10 ms",
		"kept 95% of capacity as goodput, and the p99 of accepted calls was 3.00 ms, 3.00× its p99 at 0.5×.",
		"**gosdk** refuses nothing: at 4× its goodput was 39% of capacity and the excess waited in queues, so the p99 of accepted calls grew to 2500 ms, 1250.00× its p99 at 0.5×; 12 calls went unanswered past the generator's timeout; 4000 calls (67% of those due) were never sent",
		"![overload-work-http-legacy.svg](charts/overload-work-http-legacy.svg)",
		"Criteria: **met** (goodput at 4× 95% of capacity; 98% of the calls not served at 4× refused within 10 ms; p99 at 4× 3.00× the p99 at 0.5×; RSS at 4× 40 MiB; 0 errors and 0 timeouts at 4×).",
		"Criteria: **missed**: goodput at 4× 39% of capacity; 0% of the calls not served at 4× refused within 10 ms; p99 at 4× 1250.00× the p99 at 0.5×; 0 errors and 12 timeouts at 4× (met: RSS at 4× 40 MiB).",
		"Criteria: not judged: goodput at 4× was 399% of the capacity measured before",
		"**mcpgo** answered all the load offered, up to 4× the capacity measured before (3990 calls/s at 4000 offered), so that capacity run measured it low",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the section lacks %q", want)
		}
	}
	if strings.Contains(out, "| densemcp | 1000 | 0 |") {
		t.Error("the capacity run's row is in the table")
	}
	if b, err := os.ReadFile(filepath.Join(dir, "overload-work-http-legacy.svg")); err != nil || !strings.Contains(string(b), "gosdk") {
		t.Fatalf("chart: %v", err)
	}
}

// Echo is held to its goodput at 2× alone; a window over the RSS bound misses.
func TestCriteriaEcho(t *testing.T) {
	rows := []perf.Row{
		{Multiple: 0.5, Capacity: 1000, CallsPerSec: 500, P99us: 100, ServerRSSBytes: 30 << 20},
		{Multiple: 2, Capacity: 1000, CallsPerSec: 950, P99us: 100000, NotServed: 1000, ServerRSSBytes: 30 << 20},
		{Multiple: 4, Capacity: 1000, CallsPerSec: 100, P99us: 100000, ServerRSSBytes: 30 << 20},
	}
	if got := criteriaSentence(rows, true); !strings.HasPrefix(got, "Criteria: **met** (goodput at 2× 95% of capacity; RSS at 2× 30 MiB") {
		t.Errorf("echo: %s", got)
	}
	rows[1].ServerRSSBytes = 1 << 30
	if got := criteriaSentence(rows, true); !strings.HasPrefix(got, "Criteria: **missed**: RSS at 2× 1024 MiB") {
		t.Errorf("echo over the RSS bound: %s", got)
	}
	if got := criteriaSentence(rows[:1], false); !strings.Contains(got, "not judged") {
		t.Errorf("no window at 2× or 4×: %s", got)
	}
}

// A window whose generator sent late (p99 of its send lag over 1 ms, at that window or at
// 0.5×) has its latency criteria left unjudged and says why; goodput is still judged.
func TestCriteriaGeneratorLate(t *testing.T) {
	rows := []perf.Row{
		{Multiple: 0.5, Capacity: 1000, CallsPerSec: 500, P99us: 1000, SendLagP99us: 300, ServerRSSBytes: 30 << 20},
		{Multiple: 2, Capacity: 1000, CallsPerSec: 950, P99us: 100000, NotServed: 1000, RefusedFast: 10, SendLagP99us: 5400, ServerRSSBytes: 30 << 20},
	}
	got := criteriaSentence(rows, false)
	want := "Criteria: met where judged (goodput at 2× 95% of capacity; RSS at 2× 30 MiB; 0 errors and 0 timeouts at 2×; " +
		"not judged: refusals within 10 ms and p99 at 2× (the generator sent late: p99 of its send lag 5.40 ms at 2×, over 1.00 ms))."
	if got != want {
		t.Errorf("late at 2×:\n got %s\nwant %s", got, want)
	}
	rows[1].CallsPerSec = 500
	if got := criteriaSentence(rows, false); !strings.HasPrefix(got, "Criteria: **missed**: goodput at 2× 50% of capacity (met: RSS") ||
		!strings.Contains(got, "; not judged: refusals within 10 ms and p99 at 2×") {
		t.Errorf("late at 2× with low goodput: %s", got)
	}
	rows[0].SendLagP99us, rows[1].SendLagP99us = 2000, 0 // late at the reference window
	if got := criteriaSentence(rows, false); !strings.Contains(got, "send lag 2.00 ms at 0.5×") {
		t.Errorf("late at 0.5×: %s", got)
	}
	rows[0].SendLagP99us, rows[1].CallsPerSec = 0, 950 // on time: the latencies are judged
	if got := criteriaSentence(rows, false); !strings.HasPrefix(got, "Criteria: **missed**: 1% of the calls not served at 2× refused within 10 ms; p99 at 2× 100.00× the p99 at 0.5×") {
		t.Errorf("on time: %s", got)
	}
}

func TestSlug(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		if got := slug(in); got != want {
			t.Fatalf("slug(%q) = %q, want %q", in, got, want)
		}
	}
	f(`work {"cpuMicros":200}, TCP NDJSON, 256 connections × 64 in flight`, "work-cpumicros-200-tcp-ndjson-256-connections-64-in-flight")
	f("NDJSON, 256 conns", "ndjson-256-conns")
}

// costSentence recovers what a served call and a refusal cost from the CPU of the 2× and
// 4× windows, and the goodput one core can keep at 4× at those costs.
func TestCostSentence(t *testing.T) {
	row := func(m, good, refused, cpuPerSec float64) perf.Row {
		return perf.Row{Multiple: m, Capacity: 4000, CallsPerSec: good, RefusedPerSec: refused, ServerCPUPerCallUs: cpuPerSec / good}
	}
	// A served call costs 250 µs, a refusal 10 µs.
	steps := []perf.Row{row(0.5, 2000, 0, 2000*250), row(2, 3900, 4100, 3900*250+4100*10), row(4, 3500, 12500, 3500*250+12500*10)}
	got := costSentence(steps)
	for _, want := range []string{"served call cost about 250.0 µs", "a refusal 10.0 µs", "16000 calls/s offered at 4× would take 16% of the core",
		"keeps at most 88% of capacity", "at most 8.1 µs"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
	// Goodput at 4× met: nothing to explain.
	steps[2] = row(4, 3700, 12300, 3700*250+12300*10)
	if got := costSentence(steps); got != "" {
		t.Errorf("goodput met, yet %q", got)
	}
	// No refusals: nothing to split.
	steps[1], steps[2] = row(2, 3900, 0, 3900*250), row(4, 3500, 0, 3500*250)
	if got := costSentence(steps); got != "" {
		t.Errorf("no refusals, yet %q", got)
	}
	// Windows that do not separate the costs say nothing.
	steps[1] = row(2, 3900, 4100, 3900*250+4100*10)
	steps[2] = row(4, 3500, 12500, 3500*10)
	if got := costSentence(steps); got != "" {
		t.Errorf("negative cost, yet %q", got)
	}
}

// A section measured elsewhere than on the 2-CPU default says so: its own
// title, and where the servers and the generator ran.
func TestWriteOverloadPlacement(t *testing.T) {
	var b strings.Builder
	err := writeOverload(&b, overloadRecords(), "perf/overload.sh", nil, t.TempDir(), "charts", "Overload on 16 cores", "The server ran on CPU 0, the generator on CPUs 2-9.")
	if err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.HasPrefix(out, "## Overload on 16 cores\n") || !strings.Contains(out, "The server ran on CPU 0, the generator on CPUs 2-9. For each server, ") {
		t.Fatalf("section:\n%.600s", out)
	}
	if strings.Contains(out, "the generator on CPU 1") {
		t.Fatal("the 2-CPU placement is still there")
	}
}
