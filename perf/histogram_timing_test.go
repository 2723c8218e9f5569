package perf

import "testing"

func BenchmarkHistogramRecord(b *testing.B) {
	var h Histogram
	b.ReportAllocs()
	v := int64(12345)
	for b.Loop() {
		h.Record(v)
		v = (v*1103515245 + 12345) & (1<<34 - 1)
	}
}
