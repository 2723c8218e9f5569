package perf

import "testing"

// Open-loop warmup ramps from a tenth of the rate to the rate; the measured window runs at
// the rate itself, each ramp step at its own.
func TestPlanRateAt(t *testing.T) {
	p := &plan{warmStart: 0, measureStart: 1000, stepLen: 500, rates: []int{50000, 20}, measureEnd: 2000}
	f := func(at int64, want int) {
		t.Helper()
		if got := p.rateAt(at); got != want {
			t.Fatalf("rateAt(%d) = %d, want %d", at, got, want)
		}
	}
	f(0, 5000)
	f(500, 27500)
	f(999, 49955)
	f(1000, 50000)
	f(1499, 50000)
	f(1500, 20)
	f(1999, 20)
	f(2500, 50000) // draining: no sends are paced, but never a zero rate
	q := &plan{warmStart: 0, measureStart: 1000, stepLen: 500, rates: []int{5}, measureEnd: 1500}
	if got := q.rateAt(0); got != 1 {
		t.Fatalf("a tiny rate's warmup start = %d, want at least 1", got)
	}
}
