package perf

import (
	"math"
	"testing"
	"time"
)

// Each open-loop send records how late it left against its intended time, in the window of
// the intended time; the row reports the p99 of that lag per window.
func TestSendLagPerWindow(t *testing.T) {
	p := &plan{measureStart: 1e9, stepLen: int64(time.Second), rates: []int{100, 100}, measureEnd: 3e9}
	w := &worker{plan: p, windows: make([]window, len(p.rates))}
	for i := range 100 {
		at := p.measureStart + int64(i)*int64(time.Millisecond)
		w.countSent(at, at) // on time in the first window
		at += int64(time.Second)
		lag := int64(200 * time.Microsecond)
		if i >= 95 {
			lag = int64(5 * time.Millisecond) // the slowest 5% of the second window
		}
		w.countSent(at, at+lag)
	}
	w.countSent(p.measureEnd, p.measureEnd+int64(time.Second)) // outside every window
	rows := buildRows(&Config{}, p, []*worker{w}, make([]sample, len(p.rates)+1), sample{}, 0)
	if rows[0].Sent != 100 || rows[1].Sent != 100 {
		t.Fatalf("sent %d and %d, want 100 each", rows[0].Sent, rows[1].Sent)
	}
	if rows[0].SendLagP99us != 0 {
		t.Errorf("window 0: lag p99 %.0f µs, want 0", rows[0].SendLagP99us)
	}
	if got := rows[1].SendLagP99us; math.Abs(got-5000) > 5000*0.02 {
		t.Errorf("window 1: lag p99 %.0f µs, want about 5000", got)
	}
}
