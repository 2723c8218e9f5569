package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/densemcp/densemcp"
	"github.com/densemcp/densemcp/engine"
	"github.com/densemcp/densemcp/router"
)

// The overload options: admission control, fair share, the memory budget
// and the drain.
func init() {
	var (
		perConn, perLoop, concurrency, perPass int
		queueWait, drain                       time.Duration
		budget                                 string
	)
	registerServeExtension(serveExtension{
		name: "overload",
		flags: func(fs *flag.FlagSet) {
			fs.IntVar(&perConn, "max-inflight-per-conn", router.DefaultMaxInFlightPerSession,
				"blocking calls one client (connection, legacy HTTP session) may have running or queued; more get 429 / -32000 client_limit")
			fs.IntVar(&perLoop, "max-inflight-per-loop", router.DefaultMaxInFlightPerLoop,
				"blocking calls one event loop may have running or queued; more get 503 / -32000 loop_limit before decoding")
			fs.IntVar(&concurrency, "concurrency-limit", 0,
				"blocking handlers each loop runs at once; 0 adapts the limit to measured handler latency")
			fs.DurationVar(&queueWait, "max-queue-wait", 0,
				"how long a blocking call may wait for a slot before it is refused; 0: twice the measured minimum latency (1ms-1s)")
			fs.IntVar(&perPass, "messages-per-pass", engine.DefaultMessagesPerPass,
				"messages of one connection a loop serves before it turns to the others (fair share)")
			fs.StringVar(&budget, "memory-budget", "auto",
				"heap the overload manager works against (e.g. 2GiB); auto: 3/4 of the cgroup memory limit, else half the RAM; off: no manager")
			fs.DurationVar(&drain, "drain-timeout", engine.DefaultDrainTimeout,
				"on SIGTERM, how long running calls may take to finish before they are cut off")
		},
		apply: func(o *densemcp.Options, _ *slog.Logger) error {
			if perConn < 0 || perLoop < 0 || concurrency < 0 || perPass < 0 || queueWait < 0 || drain < 0 {
				return fmt.Errorf("limits cannot be negative")
			}
			b, err := parseBudget(budget)
			if err != nil {
				return err
			}
			o.MaxInFlightPerConn = perConn
			o.MaxInFlightPerLoop = perLoop
			o.ConcurrencyLimit = concurrency
			o.MaxQueueWait = queueWait
			o.Engine.MessagesPerPass = perPass
			o.Engine.MemoryBudget = b
			o.Engine.DrainTimeout = drain
			return nil
		},
		start: func(ctx context.Context, _ *densemcp.Server, log *slog.Logger) (func(), error) {
			// The first SIGINT/SIGTERM cancels serve's context (a drain);
			// a second one exits at once.
			ch := make(chan os.Signal, 2)
			signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
			go func() {
				if _, ok := <-ch; !ok {
					return
				}
				log.Info("draining; a second signal exits at once", "drain_timeout", drain.String())
				if _, ok := <-ch; !ok {
					return
				}
				log.Warn("second signal: exiting without finishing the drain")
				os.Exit(1)
			}()
			return func() { signal.Stop(ch) }, nil
		},
	})
}

// parseBudget reads --memory-budget: "auto" (0: the engine's default),
// "off" (-1), or a size in bytes with an optional unit (KiB, MiB, GiB,
// TiB, or K, M, G, T as powers of 1024; KB, MB, GB, TB as powers of 1000).
func parseBudget(s string) (int64, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "auto", "":
		return 0, nil
	case "off", "0", "-1":
		return -1, nil
	}
	num := strings.TrimRightFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	unit := strings.ToLower(strings.TrimSpace(s[len(num):]))
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bad --memory-budget %q", s)
	}
	mult := map[string]int64{"": 1, "b": 1,
		"k": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mib": 1 << 20, "g": 1 << 30, "gib": 1 << 30, "t": 1 << 40, "tib": 1 << 40,
		"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12}[unit]
	if mult == 0 {
		return 0, fmt.Errorf("bad --memory-budget unit in %q", s)
	}
	return n * mult, nil
}
