package main

import (
	"strings"
	"testing"

	"github.com/densemcp/densemcp/perf"
)

// Rounds of one server fold into medians (errors summed); servers keep
// their first-seen order and one-round servers pass through.
func TestMergeRounds(t *testing.T) {
	rec := func(server string, cpu, rate float64, errs uint64) record {
		return record{Server: server, Row: perf.Row{ServerCPUPerCallUs: cpu, CallsPerSec: rate, Errors: errs}}
	}
	out := mergeRounds([]record{
		rec("densemcp", 2.0, 100, 0), rec("floor", 1.0, 300, 0),
		rec("densemcp", 1.2, 500, 1), rec("floor", 1.4, 200, 0),
		rec("densemcp", 1.3, 400, 2), rec("peer", 9, 10, 0),
	})
	if len(out) != 3 || out[0].Server != "densemcp" || out[1].Server != "floor" || out[2].Server != "peer" {
		t.Fatalf("servers %+v", out)
	}
	d := out[0]
	if d.Row.ServerCPUPerCallUs != 1.3 || d.Row.CallsPerSec != 400 || d.Row.Errors != 3 || d.Rounds != 3 {
		t.Fatalf("densemcp median row %+v (rounds %d)", d.Row, d.Rounds)
	}
	if f := out[1].Row; f.ServerCPUPerCallUs != 1.2 || f.CallsPerSec != 250 {
		t.Fatalf("floor median of two %+v", f)
	}
	if got := roundsCell(d); got != "2.00 / 1.20 / 1.30" {
		t.Fatalf("rounds cell %q", got)
	}
	// Per-round ratios 2.0/1.0, 1.2/1.4, and (densemcp's third round has no floor
	// partner) the fallback to medians: 1.3/1.2.
	if got := pairedCPURatio(d, out[1]); got != "1.08×" {
		t.Fatalf("unequal rounds fall back to the ratio of medians: %q", got)
	}
	f := out[1]
	f.Rounds, f.CPURounds = 3, []float64{1.0, 1.4, 2.6}
	if got := pairedCPURatio(d, f); got != "0.86×" { // ratios 2.0, 0.857, 0.5
		t.Fatalf("paired ratio %q", got)
	}
	if got := roundsCell(out[2]); got != "-" {
		t.Fatalf("one-round cell %q", got)
	}
}

func TestTransports(t *testing.T) {
	rec := func(shape, io string) record {
		return record{Row: perf.Row{Shape: shape, IO: io, Spin: shape != "hold"}}
	}
	sleeping := rec("closed", "epoll")
	sleeping.Row.Spin = false
	cases := []struct {
		recs []record
		want string
	}{
		{nil, ""},
		{[]record{rec("hold", "epoll"), rec("closed", "")}, ""}, // holds and old rows say nothing
		{[]record{rec("closed", "uring"), rec("hold", "epoll"), rec("open", "uring")}, "io_uring, spinning"},
		{[]record{sleeping, rec("closed", "uring"), rec("closed", "epoll"), rec("closed", "uring")},
			"io_uring, spinning (the scenarios that say so: epoll, sleeping until answers come; epoll, spinning)"},
	}
	for i, c := range cases {
		if got := transports(c.recs); got != c.want {
			t.Errorf("case %d: %q, want %q", i, got, c.want)
		}
	}
}

// At C=256 and one call in flight the report states densemcp's p99 against the floor's in
// the same rounds (the restated target).
func TestP99AgainstFloor(t *testing.T) {
	rec := func(server string, p99 float64) record {
		return record{Server: server, Scenario: "HTTP legacy, 256 connections: C=256 K=1",
			Row: perf.Row{Shape: "closed", Conns: 256, Depth: 1, P99us: p99, CallsPerSec: 1}}
	}
	var b strings.Builder
	write(&b, []record{rec("densemcp", 6000), rec("floor", 5000), rec("densemcp", 7000), rec("floor", 6500),
		rec("densemcp", 6600), rec("floor", 6000)}, "c", nil, "")
	// Per-round ratios 1.2, 1.077, 1.1: the median 1.10.
	if !strings.Contains(b.String(), "p99 ÷ the floor's p99 in the same rounds: 1.10× (median of the per-round ratios; target ≤ 1.2×). densemcp 6600 µs, the floor 6000 µs.") {
		t.Fatalf("no restated p99 target in:\n%s", b.String())
	}
}
