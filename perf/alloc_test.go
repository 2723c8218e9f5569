//go:build !race

package perf

import "testing"

func TestHistogramRecordAllocs(t *testing.T) {
	h := new(Histogram)
	if n := testing.AllocsPerRun(1000, func() { h.Record(123456) }); n != 0 {
		t.Fatalf("Record allocates %.1f times", n)
	}
}
