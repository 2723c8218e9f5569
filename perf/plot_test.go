//go:build linux

package perf

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/densemcp/densemcp/perf/chart"
)

func TestPlotRowsSteps(t *testing.T) {
	rows := []Row{
		{Shape: "capacity", Tool: "work", Capacity: 1000, CallsPerSec: 1000},
		{Shape: "overload", Tool: "work", Capacity: 1000, Multiple: 0.5, OfferedRate: 500, CallsPerSec: 500, P50us: 300, P99us: 900},
		{Shape: "overload", Tool: "work", Capacity: 1000, Multiple: 2, OfferedRate: 2000, CallsPerSec: 950, RefusedPerSec: 1050,
			P50us: 800, P99us: 4000, RefusalP99us: 150},
	}
	path := filepath.Join(t.TempDir(), "o.svg")
	if err := PlotRows(path, rows); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	for _, want := range []string{"× capacity", "goodput", "p99 accepted", "p99 to a refusal", "capacity 1000 calls/s"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Fatalf("the overload chart lacks %q", want)
		}
	}
	// The capacity row is not a step: two steps, at 0.5 and 2.
	p := StepPanels(rows[1:])
	if got := p[0].Series[1].X; len(got) != 2 || got[0] != 0.5 || got[1] != 2 {
		t.Fatalf("steps at %v", got)
	}
}

func TestPlotRowsTimeSeries(t *testing.T) {
	hold := []Row{{Shape: "hold", Series: []Point{{T: 0, RSSBytes: 8 << 20, FDs: 210}, {T: 1, RSSBytes: 9 << 20, FDs: 211}}}}
	p := TimePanels(hold[0].Series)
	if len(p) != 2 || p[0].Title != "server RSS" || p[1].Title != "server file descriptors" {
		t.Fatalf("hold panels: %+v", p)
	}
	soak := []Point{{T: 0, CallsPerSec: 100, RSSBytes: 1 << 20, Goroutines: 9}, {T: 1, CallsPerSec: 120, RSSBytes: 1 << 20, Goroutines: 9}}
	if p = TimePanels(soak); len(p) != 3 || p[1].Title != "server goroutines" || p[2].Title != "throughput" {
		t.Fatalf("soak panels: %+v", p)
	}
	path := filepath.Join(t.TempDir(), "h.png")
	if err := PlotRows(path, hold); err != nil {
		t.Fatal(err)
	}
	if err := PlotRows(filepath.Join(t.TempDir(), "n.svg"), []Row{{Shape: "closed"}}); !errors.Is(err, chart.ErrEmpty) {
		t.Fatalf("no series: %v", err)
	}
}

// A hold measured against this process records its RSS and descriptors every second.
func TestHoldSeries(t *testing.T) {
	s := startFloor(t)
	r := runBench(t, Config{Target: TargetTCP, Addr: s.TCPAddr, Shape: ShapeHold, Conns: 10, Depth: 1, Duration: 2500 * time.Millisecond,
		ServerPID: os.Getpid(), IO: IOEpoll})
	if len(r.Series) < 2 {
		t.Fatalf("%d points in 2.5 s", len(r.Series))
	}
	for _, pt := range r.Series {
		if pt.RSSBytes <= 0 || pt.FDs < 10 || pt.Conns != 10 || pt.T < 0 {
			t.Fatalf("point %+v", pt)
		}
	}
}
