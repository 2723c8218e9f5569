package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/densemcp/densemcp/perf"
)

func soakRecord(rssStep int64) record {
	var pts []perf.Point
	for i := range 20 {
		pts = append(pts, perf.Point{T: float64(i), CallsPerSec: 1000, RSSBytes: 20<<20 + int64(i)*rssStep, Goroutines: 12, FDs: 80})
	}
	return record{Server: "densemcp", Scenario: "Soak", Command: "densemcp bench --shape soak --churn 50",
		Row: perf.Row{Shape: "soak", Target: "http", Tool: "test_simple_text", Conns: 64, OfferedRate: 1000, Seconds: 20,
			Calls: 20000, Series: pts, BaselineFDs: 12, FinalFDs: 12, BaselineGoroutines: 10, FinalGoroutines: 10,
			Churn: &perf.ChurnStats{Polite: 300, Resets: 300, MidRequest: 300, StreamsCut: 150, CutMidStream: 150}}}
}

func TestWriteSoak(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	if err := writeSoak(&b, []record{soakRecord(1024)}, "perf/soak.sh", nil, dir, "charts"); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"| RSS | 20.0 MiB | 20.0 MiB | +60 KiB/min |", "| yes |", "| goroutines | 12 | 12 | +0.00 /min | +0.0 (bound ±2) | yes |",
		"before any connection: 12 | after every connection closed: 12 | yes |", "Errors of well-behaved clients: **0**",
		"50 cycles a second of churn", "150 streamed answers reset after their first event", "![soak.svg](charts/soak.svg)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the section lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "soak.svg")); err != nil {
		t.Fatal(err)
	}
	// RSS growing 256 KiB a second: 2.25 MiB over the second half, past the 1 MiB bound.
	b.Reset()
	if err := writeSoak(&b, []record{soakRecord(256 << 10)}, "c", nil, "", ""); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "+15360 KiB/min | +2.25 MiB (bound ±1.18 MiB) | **no** |") {
		t.Fatalf("a growing RSS is not called out:\n%s", b.String())
	}
}
