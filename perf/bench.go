//go:build linux

package perf

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"time"
)

// Main is the `densemcp bench` command: it parses args (without the command name), runs
// the load and prints the report. It returns the process exit code.
func Main(args []string) int {
	cfg, err := parseConfig(args, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "densemcp bench:", err)
		return 2
	}
	if _, err := raiseNoFile(); err != nil {
		fmt.Fprintln(os.Stderr, "densemcp bench: cannot raise RLIMIT_NOFILE:", err)
	}
	rows, err := Run(cfg, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "densemcp bench:", err)
		return 1
	}
	if cfg.JSON {
		err = writeJSON(os.Stdout, rows)
	} else {
		err = writeTable(os.Stdout, cfg, rows)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "densemcp bench:", err)
		return 1
	}
	if cfg.Plot != "" {
		if err := PlotRows(cfg.Plot, rows); err != nil {
			fmt.Fprintln(os.Stderr, "densemcp bench: --plot:", err)
			return 1
		}
		fmt.Fprintln(os.Stderr, "densemcp bench: wrote", cfg.Plot)
	}
	return 0
}

// Run executes one bench run described by cfg, printing a progress line every second to
// progress (nil for none), and returns one row per measured window (overload: the capacity
// run's row first, when it was measured).
func Run(cfg *Config, progress io.Writer) ([]Row, error) {
	var err error
	if cfg.sockaddr, err = loopbackSockaddr(cfg.Addr); err != nil {
		return nil, err
	}
	if err = cfg.validate(); err != nil {
		return nil, err
	}
	if progress == nil {
		progress = io.Discard
	}
	switch cfg.Shape {
	case ShapeOverload:
		return runOverload(cfg, progress)
	case ShapeSoak:
		return runSoak(cfg, progress)
	}
	return runOnce(cfg, progress)
}

// runOverload measures capacity unless it is given, then offers each multiple of it.
//
// Capacity is measured closed loop first (K in flight on each connection, each connection
// waiting out a refusal's retry hint before its next call), then open loop at twice that
// rate with the same cap on calls in flight, doubled again while the server keeps up with
// all of it (at most maxCapacitySteps open-loop runs, plus one at the closed-loop rate when
// a run fell short of it: searchCapacity); the most goodput an open-loop run showed is the
// capacity. The steps are open loop, and open loop sends calls as they fall due, one
// or two per connection per pass, where closed loop refills K at once: a pipelining server
// answers a closed loop's batches several times faster than the same calls paced, so the
// closed-loop figure alone would put "half capacity" past what the steps can get.
// maxCapacitySteps bounds the open-loop runs of the capacity search.
const maxCapacitySteps = 3

// keptUp reports whether an open-loop run answered well nearly all it was offered (95%):
// the server was not saturated, so its capacity lies higher.
func keptUp(goodput, offered int) bool { return float64(goodput) >= 0.95*float64(offered) }

func runOverload(cfg *Config, progress io.Writer) ([]Row, error) {
	var rows []Row
	capacity := cfg.Capacity
	if capacity == 0 {
		probe := *cfg
		// A client that honours Retry-After: one that retries refused calls at once turns
		// the closed loop into a retry storm that measures how fast the server refuses.
		probe.Shape, probe.Duration, probe.HonorRetryAfter = ShapeClosed, cfg.CapacityTime, true
		fmt.Fprintf(progress, "bench: measuring capacity: closed loop, %d connections × %d in flight, %v\n",
			cfg.Conns, cfg.Depth, cfg.CapacityTime)
		r, err := runOnce(&probe, progress)
		if err != nil {
			return nil, err
		}
		closed := int(r[0].CallsPerSec)
		if closed < 1 {
			return nil, fmt.Errorf("%w: the closed-loop capacity run answered no call well in %v (%d errors %v, %d refused, %d timeouts); a longer --capacity-time may help",
				ErrNoCapacity, cfg.CapacityTime, r[0].Errors, r[0].ErrorKinds, r[0].Refused, r[0].Timeouts)
		}
		r[0].Shape, r[0].Capacity = "capacity", float64(closed)
		rows = append(rows, r[0])
		// Open loop from twice the closed-loop figure, doubling while the server keeps up
		// with all it is offered: a closed loop of many calls in flight that honour the
		// retry hint can measure far below capacity (the server refuses most of the
		// batch, and the refused slots sit out their hint), and an offered rate the
		// server keeps up with says only that its capacity is higher still.
		capacity, err = searchCapacity(closed, func(offered int) (int, error) {
			open := *cfg
			open.RampSteps, open.Duration = []int{offered}, cfg.CapacityTime
			fmt.Fprintf(progress, "bench: capacity: offering %d calls/s open loop\n", offered)
			r, err := runOnce(&open, progress)
			if err != nil {
				return 0, err
			}
			goodput := int(r[0].CallsPerSec)
			r[0].Shape, r[0].Capacity = "capacity-open", float64(goodput)
			rows = append(rows, r[0])
			return goodput, nil
		})
		if err != nil {
			return nil, err
		}
		if last := rows[len(rows)-1]; capacity < 1 {
			return nil, fmt.Errorf("%w: the open-loop capacity runs answered no call well in %v (the last at %d calls/s: %d errors %v, %d refused, %d timeouts)",
				ErrNoCapacity, cfg.CapacityTime, last.OfferedRate, last.Errors, last.ErrorKinds, last.Refused, last.Timeouts)
		}
		fmt.Fprintf(progress, "bench: capacity %d calls/s\n", capacity)
	}
	steps := *cfg
	steps.RampSteps = make([]int, len(cfg.Multiples))
	for i, m := range cfg.Multiples {
		steps.RampSteps[i] = multipleRate(capacity, m)
		if steps.RampSteps[i] > MaxRate {
			return nil, fmt.Errorf("%w: capacity %d × %g = %d calls/s (at most %d)", ErrOutOfBounds, capacity, m, steps.RampSteps[i], MaxRate)
		}
	}
	r, err := runOnce(&steps, progress)
	if err != nil {
		return nil, err
	}
	for i := range r {
		r[i].Capacity, r[i].Multiple = float64(capacity), cfg.Multiples[i]
	}
	return append(rows, r...), nil
}

// searchCapacity is the open-loop part of the capacity search: run(offered) offers a rate
// open loop and returns the goodput. It offers twice the closed-loop figure, doubles while
// the server keeps up (at most maxCapacitySteps runs), and returns the most goodput a run
// showed. When a run did not keep up and no run has yet shown the closed-loop figure, it
// offers that figure itself once more, and stops there: a server whose goodput collapses at
// twice its capacity (one 1-core run answered 31% of it, spending the core on refusals) is
// judged against what it can do, not against the collapse.
func searchCapacity(closed int, run func(offered int) (int, error)) (int, error) {
	capacity, offered, checkedClosed := 0, min(2*closed, MaxRate), false
	for steps := 1; ; steps++ {
		goodput, err := run(offered)
		if err != nil {
			return 0, err
		}
		capacity = max(capacity, goodput)
		up := keptUp(goodput, offered)
		switch {
		case up && !checkedClosed && steps < maxCapacitySteps && 2*goodput <= MaxRate:
			offered = 2 * goodput
		case !up && capacity < closed && !checkedClosed:
			checkedClosed, offered = true, closed
		default:
			return capacity, nil
		}
	}
}

// runOnce is one run: setup, a warmup, the measured windows and a drain.
func runOnce(cfg *Config, progress io.Writer) ([]Row, error) {
	var err error
	base := time.Now()
	baseline := takeSample(cfg.ServerPID)
	io, err := resolveIO(cfg)
	if err != nil {
		return nil, err
	}
	nw := min(runtime.GOMAXPROCS(0), cfg.Conns)
	workers := make([]*worker, nw)
	for i := range workers {
		n := cfg.Conns / nw
		if i < cfg.Conns%nw {
			n++
		}
		if workers[i], err = newWorker(cfg, io, nw, n, base); err != nil {
			for _, w := range workers[:i] {
				w.close()
			}
			return nil, err
		}
	}
	defer func() {
		for _, w := range workers {
			w.close()
		}
	}()

	// Setup: every worker dials and initialises its connections, then waits for the plan.
	start := make(chan *plan)
	var ready, done sync.WaitGroup
	for i, w := range workers {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			w.setup()
			ready.Done()
			p := <-start
			if p == nil {
				return
			}
			if cfg.Shape == ShapeHold {
				w.hold(p)
			} else {
				w.measure(p, i)
			}
		}()
	}
	waitReporting(&ready, progress, func() string {
		return fmt.Sprintf("setting up: %d/%d connections ready", liveConns(workers), cfg.Conns)
	})
	established := liveConns(workers)
	if established == 0 {
		close(start)
		done.Wait()
		return nil, fmt.Errorf("%w: none of %d connections to %s (%s) came up", ErrSetup, cfg.Conns, cfg.Addr, cfg.Target)
	}

	p := newPlan(cfg, int64(time.Since(base)))
	for range workers {
		start <- p
	}
	samples, points := sampleWindows(cfg, p, base, workers, progress)
	done.Wait()
	rows := buildRows(cfg, p, workers, samples, baseline, established)
	for _, wp := range points {
		rows[wp.win].Series = append(rows[wp.win].Series, wp.pt)
	}
	return rows, nil
}

// resolveIO picks the measured phase's transport: holds measure nothing and stay on epoll;
// otherwise io_uring when asked for or (auto) when the kernel gives a ring.
func resolveIO(cfg *Config) (IOMode, error) {
	if cfg.IO == IOEpoll || cfg.Shape == ShapeHold {
		return IOEpoll, nil
	}
	r, err := newURing()
	if err != nil {
		if cfg.IO == IOURing {
			return 0, err
		}
		return IOEpoll, nil
	}
	r.close()
	return IOURing, nil
}

func newPlan(cfg *Config, now int64) *plan {
	p := &plan{warmStart: now, measureStart: now + int64(cfg.Warmup), stepLen: int64(cfg.Duration), rates: []int{0}}
	switch cfg.Shape {
	case ShapeOpen, ShapeSoak:
		p.rates = []int{cfg.Rate}
	case ShapeRamp, ShapeOverload:
		p.rates = cfg.RampSteps
	}
	p.measureEnd = p.measureStart + p.stepLen*int64(len(p.rates))
	p.drainEnd = p.measureEnd + int64(cfg.Timeout)
	return p
}

// sampleWindows reads the clocks at every window boundary, and each second prints progress
// and takes a point of the time series, until the measured span ends.
func sampleWindows(cfg *Config, p *plan, base time.Time, workers []*worker, progress io.Writer) ([]sample, []windowPoint) {
	samples := make([]sample, 0, len(p.rates)+1)
	var points []windowPoint
	last := time.Since(base)
	var lastCalls, lastRefused, lastErrs uint64
	for i := 0; i <= len(p.rates); {
		boundary := time.Duration(p.measureStart + int64(i)*p.stepLen)
		next := min(boundary, last+time.Second)
		time.Sleep(next - time.Since(base))
		if time.Since(base) >= boundary {
			s := takeSample(cfg.ServerPID)
			s.selfIdle = idleTime(workers)
			samples = append(samples, s)
			i++
			continue
		}
		now := time.Since(base)
		calls, refused, errs, tos, inflight := liveTotals(workers)
		dt := (now - last).Seconds()
		rate := float64(calls-lastCalls) / dt
		fmt.Fprintf(progress, "bench %5.1fs: %s %s conns=%d calls=%d (%.0f/s) refused=%d errors=%d timeouts=%d in-flight=%d\n",
			(now - time.Duration(p.measureStart)).Seconds(), cfg.Target, cfg.Shape, liveConns(workers),
			calls, rate, refused, errs, tos, inflight)
		if win := p.windowAt(int64(now)); win >= 0 {
			pt := Point{T: (now - time.Duration(p.measureStart)).Seconds(), CallsPerSec: rate,
				RefusedPerSec: float64(refused-lastRefused) / dt, ErrorsPerSec: float64(errs-lastErrs) / dt,
				Conns: liveConns(workers)}
			serverPoint(cfg, &pt)
			points = append(points, windowPoint{win, pt})
		}
		last, lastCalls, lastRefused, lastErrs = now, calls, refused, errs
	}
	return samples, points
}

// windowPoint is a point of the time series and the window it fell in.
type windowPoint struct {
	win int
	pt  Point
}

// serverPoint adds what the server holds now to pt: RSS, open descriptors (holds and soaks:
// counting 15K descriptors a second costs the generator's core), goroutines.
func serverPoint(cfg *Config, pt *Point) {
	if cfg.ServerPID > 0 {
		pt.RSSBytes, _ = procRSS(cfg.ServerPID)
		if cfg.Shape == ShapeHold || cfg.Shape == ShapeSoak {
			pt.FDs, _ = procFDs(cfg.ServerPID)
		}
	}
	if cfg.probe != nil {
		pt.Goroutines, _ = cfg.probe.count()
	}
}

// waitReporting waits for wg, printing status() every second.
func waitReporting(wg *sync.WaitGroup, progress io.Writer, status func() string) {
	ch := make(chan struct{})
	go func() { wg.Wait(); close(ch) }()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ch:
			return
		case <-t.C:
			fmt.Fprintln(progress, status())
		}
	}
}

func liveConns(workers []*worker) int {
	n := int64(0)
	for _, w := range workers {
		n += w.live.conns.Load()
	}
	return int(n)
}

func idleTime(workers []*worker) time.Duration {
	var d int64
	for _, w := range workers {
		d += w.live.idle.Load()
	}
	return time.Duration(d)
}

func liveTotals(workers []*worker) (calls, refused, errs, timeouts uint64, inflight int64) {
	for _, w := range workers {
		calls += w.live.calls.Load()
		refused += w.live.refused.Load()
		errs += w.live.errors.Load()
		timeouts += w.live.timeouts.Load()
		inflight += w.live.inflight.Load()
	}
	return
}
