// Package work is the peers' copy of densemcp's `work` load-test tool (perf/fixtures in the
// main module): it burns cpuMicros of the calling thread's CPU time, then waits waitMillis,
// and answers {"cpuMicros":…,"waitMillis":…} as text and structured output, plus a text
// block of resultBytes bytes. The peers are a module of their own so that their
// dependencies stay out of densemcp's; the few lines here are kept the same as the
// fixture's so that every server burns the same CPU per call.
package work

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Bounds on the arguments, the same as densemcp's fixture.
const (
	MaxCPUMicros   = 1_000_000
	MaxWaitMillis  = 60_000
	MaxResultBytes = 1 << 20
)

// Args are work's arguments.
type Args struct {
	CPUMicros   int64 `json:"cpuMicros,omitempty" jsonschema:"CPU time to burn, in microseconds"`
	WaitMillis  int64 `json:"waitMillis,omitempty" jsonschema:"time to wait (after burning), in milliseconds"`
	ResultBytes int64 `json:"resultBytes,omitempty" jsonschema:"size of a text block added to the result"`
}

// Out is work's structured output.
type Out struct {
	CPUMicros  int64 `json:"cpuMicros"`
	WaitMillis int64 `json:"waitMillis"`
}

// Description is the tool's description.
const Description = "Burns cpuMicros of CPU, waits waitMillis, and returns what it did (plus a text block of resultBytes bytes)."

// ErrBounds is returned for arguments outside the bounds.
var ErrBounds = errors.New("work: argument out of bounds")

// Do runs one call: burn, wait, and the texts of the result (the structured output as JSON,
// then the padding block when asked for).
func Do(ctx context.Context, a Args) (Out, []string, error) {
	if a.CPUMicros < 0 || a.CPUMicros > MaxCPUMicros || a.WaitMillis < 0 || a.WaitMillis > MaxWaitMillis ||
		a.ResultBytes < 0 || a.ResultBytes > MaxResultBytes {
		return Out{}, nil, ErrBounds
	}
	if a.CPUMicros > 0 {
		if err := burn(ctx, time.Duration(a.CPUMicros)*time.Microsecond); err != nil {
			return Out{}, nil, err
		}
	}
	if a.WaitMillis > 0 {
		t := time.NewTimer(time.Duration(a.WaitMillis) * time.Millisecond)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return Out{}, nil, ctx.Err()
		}
	}
	out := Out{CPUMicros: a.CPUMicros, WaitMillis: a.WaitMillis}
	texts := []string{fmt.Sprintf(`{"cpuMicros":%d,"waitMillis":%d}`, a.CPUMicros, a.WaitMillis)}
	if a.ResultBytes > 0 {
		texts = append(texts, strings.Repeat("x", int(a.ResultBytes)))
	}
	return out, texts, nil
}

// burn spends d of the thread's CPU time (the goroutine locked to it), so the cost per call
// is the same however busy the machine is; it stops early when ctx ends.
func burn(ctx context.Context, d time.Duration) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start, ok := threadCPU()
	if !ok {
		return errors.New("work: no thread CPU clock")
	}
	var x uint64
	defer runtime.KeepAlive(&x)
	for i := 0; ; i++ {
		x = spin(x)
		if now, _ := threadCPU(); now-start >= int64(d) {
			return nil
		}
		if i%64 == 63 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
}

func threadCPU() (int64, bool) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0, false
	}
	return ts.Nano(), true
}

// spin is a few microseconds of register-only arithmetic (xorshift).
func spin(x uint64) uint64 {
	x |= 1
	for range 1024 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}
