package perf

import "math/bits"

// The latency histogram is HDR-style: values below 2*histSub are counted exactly; above,
// each power of two is split into histSub linear buckets, so a bucket's width is at most
// 1/histSub (1.6%) of its value. The array is fixed, so Record never allocates and two
// histograms merge by adding counts.
const (
	// histSubBits sets the precision: 2^6 = 64 buckets per power of two.
	histSubBits = 6
	histSub     = 1 << histSubBits
	// histBuckets covers every non-negative int64: the exact region (2*histSub values)
	// plus histSub buckets for each shift 1..63-histSubBits.
	histBuckets = (64 - histSubBits) * histSub
)

// Histogram counts latencies in nanoseconds. The zero value is ready to use. It is not
// safe for concurrent use: each worker owns its own and they are merged at the end.
type Histogram struct {
	counts [histBuckets]uint64
	n      uint64
	max    int64
	sum    int64
}

// histIndex maps a value to its bucket.
func histIndex(v int64) int {
	u := uint64(v)
	if u < 2*histSub {
		return int(u)
	}
	shift := bits.Len64(u) - (histSubBits + 1)
	return (shift+1)*histSub + int(u>>uint(shift)) - histSub
}

// histUpper returns the highest value that maps to bucket i.
func histUpper(i int) int64 {
	if i < 2*histSub {
		return int64(i)
	}
	shift := i/histSub - 1
	m := uint64(i%histSub + histSub)
	return int64((m+1)<<uint(shift) - 1)
}

// Record counts one value; negative values count as 0.
func (h *Histogram) Record(v int64) {
	if v < 0 {
		v = 0
	}
	h.counts[histIndex(v)]++
	h.n++
	h.sum += v
	if v > h.max {
		h.max = v
	}
}

// Count returns how many values were recorded.
func (h *Histogram) Count() uint64 { return h.n }

// Max returns the largest value recorded (exact).
func (h *Histogram) Max() int64 { return h.max }

// Mean returns the arithmetic mean of the recorded values.
func (h *Histogram) Mean() float64 {
	if h.n == 0 {
		return 0
	}
	return float64(h.sum) / float64(h.n)
}

// Merge adds o's counts to h.
func (h *Histogram) Merge(o *Histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	if o.max > h.max {
		h.max = o.max
	}
}

// CountAtMost returns how many recorded values are at most v, give or take the width of
// v's bucket (values in v's bucket count as at most v).
func (h *Histogram) CountAtMost(v int64) uint64 {
	if v < 0 {
		return 0
	}
	last := histIndex(v)
	var n uint64
	for i := 0; i <= last; i++ {
		n += h.counts[i]
	}
	return n
}

// Reset forgets every value.
func (h *Histogram) Reset() { *h = Histogram{} }

// Quantile returns the value at quantile q (0 < q <= 1): the highest value of the bucket
// holding the ceil(q*n)-th smallest value, capped at the exact maximum.
func (h *Histogram) Quantile(q float64) int64 {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q * float64(h.n))
	if float64(rank) < q*float64(h.n) {
		rank++
	}
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(histUpper(i), h.max)
		}
	}
	return h.max
}
