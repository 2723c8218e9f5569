package shards

import "time"

// epoch anchors Now; time.Since on it reads only the monotonic clock,
// about half the cost of time.Now, which also reads the wall clock.
var epoch = time.Now()

// Now returns monotonic nanoseconds since the process started: the clock
// request durations are measured with.
func Now() int64 { return int64(time.Since(epoch)) }

// WallTime converts a Now reading to wall-clock time.
func WallTime(now int64) time.Time { return epoch.Add(time.Duration(now)) }
