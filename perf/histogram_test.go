package perf

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestHistogramIndexUpperRoundTrip(t *testing.T) {
	f := func(v int64) {
		t.Helper()
		i := histIndex(v)
		if i < 0 || i >= histBuckets {
			t.Fatalf("histIndex(%d) = %d out of range", v, i)
		}
		if up := histUpper(i); up < v {
			t.Fatalf("histUpper(histIndex(%d)) = %d, below the value", v, up)
		}
		if i > 0 && histUpper(i-1) >= v {
			t.Fatalf("value %d also fits bucket %d (upper %d)", v, i-1, histUpper(i-1))
		}
	}
	for _, v := range []int64{0, 1, 127, 128, 129, 255, 256, 1000, 999_999, 1 << 40, 1<<62 + 12345, 1<<63 - 1} {
		f(v)
	}
}

// TestHistogramQuantiles checks every reported quantile against a sorted-slice reference:
// the histogram may only round up, by at most one bucket width (1/64 of the value).
func TestHistogramQuantiles(t *testing.T) {
	f := func(name string, vals []int64) {
		t.Helper()
		var h Histogram
		for _, v := range vals {
			h.Record(v)
		}
		ref := slices.Clone(vals)
		slices.Sort(ref)
		for _, q := range []float64{0.5, 0.95, 0.99, 0.999, 1} {
			rank := int(q * float64(len(ref)))
			if float64(rank) < q*float64(len(ref)) {
				rank++
			}
			want := ref[max(rank, 1)-1]
			got := h.Quantile(q)
			if got < want || got > want+want/histSub+1 {
				t.Fatalf("%s: q%.3f = %d, reference %d", name, q, got, want)
			}
		}
		if h.Max() != ref[len(ref)-1] {
			t.Fatalf("%s: max %d, want %d", name, h.Max(), ref[len(ref)-1])
		}
		if h.Count() != uint64(len(vals)) {
			t.Fatalf("%s: count %d, want %d", name, h.Count(), len(vals))
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	uniform := make([]int64, 10000)
	for i := range uniform {
		uniform[i] = r.Int64N(10_000_000)
	}
	f("uniform", uniform)
	tail := make([]int64, 20000)
	for i := range tail {
		tail[i] = int64(r.ExpFloat64() * 200_000)
		if i%1000 == 0 {
			tail[i] = 3_000_000_000 + r.Int64N(1e9)
		}
	}
	f("exponential+outliers", tail)
	f("single", []int64{42})
	f("small exact", []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
	f("equal", []int64{777777, 777777, 777777})
}

func TestHistogramMerge(t *testing.T) {
	var a, b, all Histogram
	for i := int64(1); i <= 1000; i++ {
		all.Record(i * 997)
		if i%2 == 0 {
			a.Record(i * 997)
		} else {
			b.Record(i * 997)
		}
	}
	a.Merge(&b)
	if a != all {
		t.Fatal("merged histogram differs from the one that saw every value")
	}
	a.Reset()
	if a.Count() != 0 || a.Quantile(0.5) != 0 {
		t.Fatal("Reset left values behind")
	}
}
