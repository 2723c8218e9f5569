// Package chart draws the benchmark charts of perf/ (throughput and latency per step of a
// ramp or overload run, memory over time of a hold or soak, scaling per loop count) as SVG
// or PNG with gonum.org/v1/plot. It is a leaf: the generator and the report writer import
// it, the server never does.
package chart

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Size of a chart: each panel gets PanelHeight of a Width-wide page.
const (
	Width       = 7 * vg.Inch
	PanelHeight = 2.8 * vg.Inch
	// MaxPanels bounds the panels of one chart (and so its height).
	MaxPanels = 12
)

// ErrFormat is returned for a file name that does not end in .svg or .png.
var ErrFormat = errors.New("chart file must end in .svg or .png")

// ErrEmpty is returned when there is nothing to draw: no panel, or no point in any.
var ErrEmpty = errors.New("nothing to draw")

// Series is one line of a panel.
type Series struct {
	Name string
	X, Y []float64
}

// Panel is one plot of a chart: its series share the axes.
type Panel struct {
	Title, XLabel, YLabel string
	// LogY draws the Y axis on a log scale (latencies spanning decades); points with Y <= 0
	// are left out there.
	LogY   bool
	Series []Series
}

// Write draws panels one above the other into path (.svg or .png); title heads the chart.
func Write(path, title string, panels []Panel) error {
	ext := strings.ToLower(filepath.Ext(path))
	if ext != ".svg" && ext != ".png" {
		return fmt.Errorf("%w: %q", ErrFormat, path)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := Render(f, ext[1:], title, panels); err != nil {
		f.Close()
		_ = os.Remove(path)
		return err
	}
	return f.Close()
}

// Render draws the chart to w in format "svg" or "png".
func Render(w io.Writer, format, title string, panels []Panel) error {
	if len(panels) == 0 || len(panels) > MaxPanels {
		return fmt.Errorf("%w: %d panels (1..%d)", ErrEmpty, len(panels), MaxPanels)
	}
	plots := make([][]*plot.Plot, len(panels))
	drawn := 0
	for i, p := range panels {
		pl, n, err := newPlot(p)
		if err != nil {
			return err
		}
		if i == 0 && title != "" {
			pl.Title.Text = title + "\n" + pl.Title.Text
		}
		drawn += n
		plots[i] = []*plot.Plot{pl}
	}
	if drawn == 0 {
		return ErrEmpty
	}
	h := PanelHeight * vg.Length(len(panels))
	var c vg.CanvasWriterTo
	switch format {
	case "svg":
		c = vgsvg.New(Width, h)
	case "png":
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(Width, h), vgimg.UseDPI(110))}
	default:
		return fmt.Errorf("%w: format %q", ErrFormat, format)
	}
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: len(panels), Cols: 1, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2,
		PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 4, PadY: vg.Millimeter * 6}
	canvases := plot.Align(plots, tiles, dc)
	for i := range plots {
		plots[i][0].Draw(canvases[i][0])
	}
	_, err := c.WriteTo(w)
	return err
}

// newPlot builds one panel's plot and returns how many points it drew.
func newPlot(p Panel) (*plot.Plot, int, error) {
	pl := plot.New()
	pl.Title.Text = p.Title
	pl.X.Label.Text = p.XLabel
	pl.Y.Label.Text = p.YLabel
	pl.Legend.Top, pl.Legend.Left = true, true
	pl.Legend.TextStyle.Font.Size = vg.Points(9)
	pl.Add(plotter.NewGrid())
	if p.LogY {
		pl.Y.Scale = plot.LogScale{}
		pl.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	n := 0
	for i, s := range p.Series {
		if len(s.X) != len(s.Y) {
			panic("BUG: chart series " + s.Name + " has unequal X and Y")
		}
		xys := make(plotter.XYs, 0, len(s.X))
		for j := range s.X {
			x, y := s.X[j], s.Y[j]
			if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) || (p.LogY && y <= 0) {
				continue
			}
			xys = append(xys, plotter.XY{X: x, Y: y})
		}
		if len(xys) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, 0, err
		}
		line.Color = plotutil.Color(i)
		line.Width = vg.Points(1.5)
		points.Color = plotutil.Color(i)
		points.Shape = plotutil.Shape(i)
		if len(xys) > 60 { // a time series: the line alone reads better
			pl.Add(line)
			pl.Legend.Add(s.Name, line)
		} else {
			pl.Add(line, points)
			pl.Legend.Add(s.Name, line, points)
		}
		n += len(xys)
	}
	if n == 0 {
		return pl, 0, nil
	}
	if !p.LogY && pl.Y.Min > 0 {
		pl.Y.Min = 0 // rates and sizes read against zero
	}
	// Headroom above the data for the legend, one line per series.
	lines := float64(len(p.Series)) + 1
	if p.LogY {
		pl.Y.Max *= math.Pow(2, lines)
	} else {
		pl.Y.Max = niceCeil(pl.Y.Max + (pl.Y.Max-pl.Y.Min)*0.09*lines)
	}
	return pl, n, nil
}

// niceCeil rounds v up to 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 or 10 times a power of ten, so the
// axis the default ticker draws ends on a round number.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return v
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}
