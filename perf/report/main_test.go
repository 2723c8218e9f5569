package main

import (
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
	if got := roundsCell(out[2]); got != "-" {
		t.Fatalf("one-round cell %q", got)
	}
}
