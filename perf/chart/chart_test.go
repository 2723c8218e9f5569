package chart

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func panels() []Panel {
	return []Panel{
		{Title: "throughput", XLabel: "offered calls/s", YLabel: "calls/s", Series: []Series{
			{Name: "goodput", X: []float64{100, 200, 400}, Y: []float64{100, 195, 210}},
			{Name: "refused", X: []float64{100, 200, 400}, Y: []float64{0, 5, 190}},
		}},
		{Title: "latency", XLabel: "offered calls/s", YLabel: "µs", LogY: true, Series: []Series{
			{Name: "p99", X: []float64{100, 200, 400}, Y: []float64{300, 0, 90000}}, // 0 is left out on a log axis
		}},
	}
}

func TestWriteSVGAndPNG(t *testing.T) {
	dir := t.TempDir()
	svg := filepath.Join(dir, "c.svg")
	if err := Write(svg, "ramp: densemcp", panels()); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(svg)
	for _, want := range []string{"<svg", "goodput", "refused", "p99", "ramp: densemcp", "offered calls/s"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Fatalf("the SVG lacks %q", want)
		}
	}
	png := filepath.Join(dir, "c.PNG")
	if err := Write(png, "", panels()); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(png)
	if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) || len(b) < 1000 {
		t.Fatalf("not a PNG: %d bytes", len(b))
	}
}

func TestWriteRefuses(t *testing.T) {
	dir := t.TempDir()
	if err := Write(filepath.Join(dir, "c.pdf"), "", panels()); !errors.Is(err, ErrFormat) {
		t.Fatalf("pdf: %v", err)
	}
	if err := Write(filepath.Join(dir, "e.svg"), "", nil); !errors.Is(err, ErrEmpty) {
		t.Fatalf("no panels: %v", err)
	}
	empty := []Panel{{Title: "x", LogY: true, Series: []Series{{Name: "zeros", X: []float64{1}, Y: []float64{0}}}}}
	if err := Write(filepath.Join(dir, "z.svg"), "", empty); !errors.Is(err, ErrEmpty) {
		t.Fatalf("no drawable point: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "z.svg")); !os.IsNotExist(err) {
		t.Fatalf("a failed chart left its file behind: %v", err)
	}
	var sb strings.Builder
	if err := Render(&sb, "gif", "", panels()); !errors.Is(err, ErrFormat) {
		t.Fatalf("gif: %v", err)
	}
}

func TestNiceCeil(t *testing.T) {
	f := func(v, want float64) {
		t.Helper()
		if got := niceCeil(v); got != want {
			t.Fatalf("niceCeil(%g) = %g, want %g", v, got, want)
		}
	}
	f(27270, 30000)
	f(20000, 20000)
	f(0.7, 0.8)
	f(101, 150)
	f(0, 0)
}
