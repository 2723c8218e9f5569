//go:build !linux

package perf

import (
	"fmt"
	"os"
)

// Main is the `densemcp bench` command. The generator is built on epoll and /proc, so it
// runs on Linux only.
func Main(args []string) int {
	fmt.Fprintln(os.Stderr, "densemcp bench: the load generator needs Linux (epoll, /proc)")
	return 2
}
