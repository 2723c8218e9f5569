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
	f("--addr db.internal:9", ErrNotLoopback)
}
