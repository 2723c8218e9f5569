// Command drainload offers NDJSON calls to a densemcp server at a steady rate, sends the
// server SIGTERM part way through, and accounts for every call: answered, refused, answered
// with another error, or lost (perf.RunDrain). perf/drain.sh (make drain) runs it. It prints
// the counts as one JSON object; it exits 1 when the run could not be made, not when calls
// were lost (the counts say so).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/densemcp/densemcp/perf"
)

func main() {
	var cfg perf.DrainConfig
	flag.StringVar(&cfg.Addr, "addr", "127.0.0.1:7070", "the server's NDJSON address (loopback only)")
	flag.IntVar(&cfg.Conns, "c", 64, "connections")
	flag.IntVar(&cfg.Rate, "rate", 20000, "calls per second in all, open loop")
	flag.IntVar(&cfg.WorkEvery, "work-every", 10, "every Nth call of a connection is a blocking work call (0: echo alone)")
	flag.StringVar(&cfg.WorkArgs, "work-args", `{"waitMillis":50}`, "the work call's arguments")
	flag.IntVar(&cfg.MaxInFlight, "max-in-flight", 256, "calls outstanding per connection at most (a call due past it is shed)")
	flag.DurationVar(&cfg.Before, "before", 5*time.Second, "load before the signal")
	flag.DurationVar(&cfg.Timeout, "timeout", 60*time.Second, "after the signal, how long to wait for the connections to end")
	pid := flag.Int("pid", 0, "the server's process id, sent SIGTERM after --before")
	flag.Parse()
	if *pid <= 0 {
		fmt.Fprintln(os.Stderr, "drainload: --pid is required")
		os.Exit(2)
	}
	cfg.Signal = func() error { return syscall.Kill(*pid, syscall.SIGTERM) }
	res, err := perf.RunDrain(cfg)
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
	if err != nil {
		fmt.Fprintln(os.Stderr, "drainload:", err)
		os.Exit(1)
	}
}
