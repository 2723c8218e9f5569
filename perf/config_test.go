//go:build linux

package perf

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	f := func(args string, want error) {
		t.Helper()
		_, err := parseConfig(strings.Fields(args), io.Discard)
		if !errors.Is(err, want) && !(want == nil && err == nil) {
			t.Fatalf("parseConfig(%q) = %v, want %v", args, err, want)
		}
	}
	f("--addr 127.0.0.1:9 --target http --shape open --rate 5000", nil)
	f("--addr 127.0.0.1:9 --shape ramp --ramp-steps 10,20 --duration 4m", nil)
	f("--addr 127.0.0.1:9 --duration 11m", ErrOutOfBounds)
	f("--addr 127.0.0.1:9 --shape ramp --ramp-steps 1,2,3 --duration 4m", ErrOutOfBounds)
	f("--addr 127.0.0.1:9 -c 20001", ErrOutOfBounds)
	f("--addr 127.0.0.1:9 -c 20000", nil)
	f("--addr 127.0.0.1:9 -k 0", ErrOutOfBounds)
	f("--addr 127.0.0.1:9 --text 0", ErrOutOfBounds)
	f("--addr 127.0.0.1:9 --shape open --tick 0", nil)
	f("--addr 127.0.0.1:9 --shape open --tick 11ms", ErrOutOfBounds)
	f("--addr 127.0.0.1:9 --shape open --tick -1us", ErrOutOfBounds)
	f("--addr 127.0.0.1:9 --target udp", ErrBadFlag)
	f("--addr 127.0.0.1:9 --shape burst", ErrBadFlag)
	f("--addr 127.0.0.1:9 --ramp-steps 1,x", ErrBadFlag)
	f("--addr 10.1.2.3:9", ErrNotLoopback)
	f("--addr 127.0.0.1:9 --shape overload -c 256 -k 64 --tool work --args {\"cpuMicros\":200}", nil)
	f("--addr 127.0.0.1:9 --shape overload --multiples 0.5,1,2,4 --capacity 5000", nil)
	f("--addr 127.0.0.1:9 --shape overload --multiples 0.5,x", ErrBadFlag)
	f("--addr 127.0.0.1:9 --shape overload --multiples 0", ErrBadFlag)
	f("--addr 127.0.0.1:9 --shape overload --multiples 101", ErrBadFlag)
	f("--addr 127.0.0.1:9 --shape overload --capacity 20000000 --multiples 2", ErrOutOfBounds)
	f("--addr 127.0.0.1:9 --shape overload --capacity 1300000 --multiples 4", nil) // echo pipelined on one loop at 4×
	f("--addr 127.0.0.1:9 --shape overload --capacity -1", ErrOutOfBounds)
	// Warmups and the capacity runs count against the run's bound: 4 × 2m + 2 × 1m + 3 × 1s.
	f("--addr 127.0.0.1:9 --shape overload --duration 2m --capacity-time 1m", ErrOutOfBounds)
	f("--addr 127.0.0.1:9 --shape overload --duration 2m --capacity 100", nil)
	f("--addr 127.0.0.1:9 --tool work --args [1]", ErrBadFlag)
	f("--addr 127.0.0.1:9 --tool bad\nname", ErrBadFlag)
	f("--addr 127.0.0.1:9 --plot out.svg", nil)
	f("--addr 127.0.0.1:9 --plot out.pdf", ErrBadFlag)
	f("--addr 127.0.0.1:9 --pprof 10.0.0.1:6060", ErrNotLoopback)
	f("--addr db.internal:9", ErrNotLoopback)
}
