package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/densemcp/densemcp/perf"
)

func TestWriteCores(t *testing.T) {
	const sc = "TCP NDJSON, 256 connections × 16 pipelined"
	rec := func(server string, loops int, rate, cpu float64) record {
		return record{Server: server, Scenario: sc, Loops: loops, Row: perf.Row{CallsPerSec: rate, ServerCPUPerCallUs: cpu, P99us: 500}}
	}
	recs := []record{
		rec("densemcp", 1, 800, 1.2), rec("floor", 1, 1000, 1.0), rec("densemcp", 2, 1500, 1.5), rec("floor", 2, 1900, 1.1),
		rec("densemcp", 1, 820, 1.4), rec("floor", 1, 1000, 1.0), rec("densemcp", 2, 1600, 1.3), rec("floor", 2, 2000, 1.2),
		rec("densemcp", 1, 810, 1.3), rec("floor", 1, 990, 1.0), rec("densemcp", 2, 1550, 1.5), rec("floor", 2, 2100, 1.0),
	}
	dir := t.TempDir()
	var b strings.Builder
	if err := writeCores(&b, recs, "perf/cores.sh", nil, dir, "charts"); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"| 1 | 810 | 1000 | 0.81× | 1.30 | 1.00 | 1.30× | +0% | +0% | 500 | 500 | 1.00× |",
		// 2 loops: medians 1550 / 2000 calls/s, 1.50 / 1.10 µs; per-round ratios 1.36, 1.08, 1.5.
		"| 2 | 1550 | 2000 | 0.78× | 1.50 | 1.10 | 1.36× | +15% | +10% |",
		"≤ 1.3× the floor's", "![cores-tcp-ndjson-256-connections-16-pipelined.svg](charts/cores-tcp-ndjson-256-connections-16-pipelined.svg)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the section lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "cores-tcp-ndjson-256-connections-16-pipelined.svg")); err != nil {
		t.Fatal(err)
	}
}
