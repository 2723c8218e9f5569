package shards

import (
	"testing"
	"time"
)

var clockSink int64

// BenchmarkClock is what one clock read costs: Now (monotonic only, what
// request timing uses) against time.Now (wall and monotonic).
func BenchmarkClock(b *testing.B) {
	b.Run("shards.Now", func(b *testing.B) {
		for b.Loop() {
			clockSink += Now()
		}
	})
	b.Run("time.Now", func(b *testing.B) {
		for b.Loop() {
			clockSink += time.Now().UnixNano()
		}
	})
}
