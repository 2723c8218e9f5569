//go:build linux

package perf

import (
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Bounds on a run. A load generator that can be pointed at a machine for hours, or open
// more sockets than a test box has, is a hazard; these keep every run short and local.
const (
	// MaxRunTime bounds warmup plus measured time (all ramp steps together).
	MaxRunTime = 10 * time.Minute
	// MaxSoakTime bounds a soak's warmup plus measured time: soaks are meant to be long.
	MaxSoakTime = time.Hour
	// MaxConnections bounds -c: 20K covers the 15K-connection target with room to spare.
	MaxConnections = 20000
	// MaxPipelineDepth bounds -k, the requests outstanding per connection in closed loop
	// (thousands: perf/fairness.sh's greedy client pipelines 4,096).
	MaxPipelineDepth = 4096
	// maxBackOff bounds how long HonorRetryAfter holds a refused connection.
	maxBackOff = time.Second
	// MaxRate bounds --rate and each ramp step, in calls per second: above 4× the
	// 1.26M calls/s one loop answers pipelined echo calls (make overload's echo cell),
	// since the bound is a typo guard, not what a generator can send.
	MaxRate = 20_000_000
	// MaxTextSize bounds --text, the bytes of the echo argument.
	MaxTextSize = 1 << 20
	// MaxTick bounds --tick: a coarser pacing step would be latency the generator adds.
	MaxTick = 10 * time.Millisecond
	// DefaultTick is the open loop's pacing granularity. One wakeup per call costs the
	// generator a timer and a context switch (several µs on a VM), which at 50K calls/s
	// is most of its core; waking every 250 µs and sending what is due costs one.
	DefaultTick = 250 * time.Microsecond
	// maxSlotMemory bounds the memory of the per-connection in-flight tables in open loop.
	maxSlotMemory = 256 << 20
	// FastRefusal is the time within which a refusal counts as fast (RefusedFast): the
	// bound overload tests hold a server's refusals to.
	FastRefusal = 10 * time.Millisecond
	// MaxMultiple bounds an overload window's multiple of capacity.
	MaxMultiple = 100
	// MaxArgsSize bounds --args.
	MaxArgsSize = 1 << 20
)

// Target is the protocol the generator speaks.
type Target int

const (
	// TargetTCP is newline-delimited JSON-RPC over TCP, one legacy session per connection.
	TargetTCP Target = iota
	// TargetHTTP is Streamable HTTP with a legacy (2025-11-25) session per connection.
	TargetHTTP
	// TargetHTTPModern is Streamable HTTP in the stateless 2026-07-28 era.
	TargetHTTPModern
)

func (t Target) String() string {
	switch t {
	case TargetTCP:
		return "tcp"
	case TargetHTTP:
		return "http"
	case TargetHTTPModern:
		return "http-modern"
	}
	panic("BUG: unknown target")
}

// IOMode is the generator's transport for measured calls.
type IOMode int

const (
	// IOAuto uses io_uring where the kernel allows it, else epoll.
	IOAuto IOMode = iota
	// IOEpoll is epoll readiness with one read(2) and one write(2) per connection per pass.
	IOEpoll
	// IOURing is io_uring: one io_uring_enter per pass for every send and answer.
	IOURing
)

func (m IOMode) String() string {
	switch m {
	case IOAuto:
		return "auto"
	case IOEpoll:
		return "epoll"
	case IOURing:
		return "uring"
	}
	panic("BUG: unknown io mode")
}

func parseIOMode(s string) (IOMode, error) {
	for _, m := range []IOMode{IOAuto, IOEpoll, IOURing} {
		if m.String() == s {
			return m, nil
		}
	}
	return 0, fmt.Errorf("%w: --io %q (want auto, epoll or uring)", ErrBadFlag, s)
}

// Shape is the load pattern.
type Shape int

const (
	// ShapeClosed keeps K calls outstanding on each of C connections.
	ShapeClosed Shape = iota
	// ShapeOpen sends at a fixed total rate whatever the answers do.
	ShapeOpen
	// ShapeRamp runs ShapeOpen at each rate of RampSteps in turn.
	ShapeRamp
	// ShapeHold opens C idle connections (sessions) and reports server memory per connection.
	ShapeHold
	// ShapeOverload measures capacity (closed loop, C connections × K in flight, unless
	// Capacity is given) and then offers open-loop load at each of Multiples of it, at most
	// K calls in flight per connection.
	ShapeOverload
	// ShapeSoak runs ShapeOpen at Rate on C connections while churning others (Churn cycles
	// a second: open, call, close; resets; SSE streams cut) and samples the server's RSS,
	// descriptors and goroutines each second.
	ShapeSoak
)

func (s Shape) String() string {
	switch s {
	case ShapeClosed:
		return "closed"
	case ShapeOpen:
		return "open"
	case ShapeRamp:
		return "ramp"
	case ShapeHold:
		return "hold"
	case ShapeOverload:
		return "overload"
	case ShapeSoak:
		return "soak"
	}
	panic("BUG: unknown shape")
}

// Config is one bench run, as parsed from the command line.
type Config struct {
	Target    Target
	Addr      string
	Path      string
	Shape     Shape
	Conns     int
	Depth     int
	Rate      int
	RampSteps []int
	Duration  time.Duration
	Warmup    time.Duration
	Timeout   time.Duration
	// Tick is the open loop's pacing granularity when the generator sleeps (Spin off): it
	// sleeps at least this long between sends (unless answers wake it) and then sends every
	// call whose intended time has come. Spinning, it sends what is due on every poll.
	// Latency counts from each call's intended time either way, so a late send shows.
	Tick      time.Duration
	ServerPID int
	JSON      bool
	TextSize  int
	// IO is how the measured phase moves bytes: IOAuto takes io_uring when the kernel gives
	// a ring and epoll otherwise. Setup (connect, handshakes) and holds always use epoll.
	IO IOMode
	// Spin has the generator poll for answers without ever sleeping in the measured phase.
	// A sleeping generator makes the server pay to wake it on every answer (an IPI and a
	// context switch, several µs on this VM), which a server with remote clients never
	// pays, and which a slower server pays more often (its generator idles more). Spinning
	// costs the generator its whole core, so its CPU per call excludes the empty polls.
	Spin bool
	// HonorRetryAfter has a closed-loop connection that was refused wait out the refusal's
	// retry hint (at most a second) before its next call, as a client should; the overload
	// shape's capacity run always does. Without it a refused call is sent again at once.
	HonorRetryAfter bool

	// Tool is the tool every call names (empty: echo); Args, when not empty, is its arguments object sent
	// verbatim (compacted). With neither set the calls are echo calls whose text carries the
	// call id, and each answer must echo it; otherwise an answer is good when it carries
	// the call's id and a result that is not a tool error (isError).
	Tool string
	Args string

	// Overload shape: Capacity is the server's capacity in calls/s (0: measure it first: a
	// closed-loop run of CapacityTime on the same connections, K in flight each, then an
	// open-loop run at twice its goodput whose goodput is the capacity);
	// Multiples are the offered rates as multiples of it, one measured window each.
	Capacity     int
	CapacityTime time.Duration
	Multiples    []float64

	// Metrics (a Prometheus text URL with go_goroutines) or Pprof (a net/http/pprof
	// address) is where the server's goroutine count is read for the time series; empty:
	// not read. Both must be on loopback.
	Metrics string
	Pprof   string
	// Soak: Churn is the connection cycles started per second beside the measured load;
	// ChurnTCP an NDJSON address that every other cycle uses (empty: all on Addr); SSETool a
	// tool that streams (progress) whose SSE answers churning clients cut after the first
	// event (empty: none; GET streams are still opened and cut).
	Churn    int
	ChurnTCP string
	SSETool  string
	// Plot is a chart file (.svg or .png) that Main draws the rows into; empty: none.
	Plot string
	// Headers are extra header fields, "Name: value" each, that every HTTP request of the
	// run carries (handshake, calls, GET streams, churn): an Authorization token, say.
	// HTTP targets only; checked by buildHeaders (header.go).
	Headers []string

	sockaddr unix.Sockaddr
	probe    *goroutineProbe
	// call is the request body around the id, built once from Tool and Args.
	call callTemplate
	// headerBlock is Headers as sent: "Name: value\r\n" each.
	headerBlock []byte
}

// parseConfig reads the bench flags; usage and errors go to stderr.
func parseConfig(args []string, stderr io.Writer) (*Config, error) {
	fs := flag.NewFlagSet("densemcp bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		cfg    Config
		target = fs.String("target", "tcp", "protocol: tcp | http | http-modern")
		shape  = fs.String("shape", "closed", "load shape: closed | open | ramp | hold")
		steps  = fs.String("ramp-steps", "25,150,250,500,1000,2000,5000,10000,15000", "ramp: calls/s of each step")
		ioMode = fs.String("io", "auto", "transport of measured calls: auto (io_uring if the kernel allows, else epoll) | epoll | uring")
	)
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:7070", "server address (loopback only)")
	fs.StringVar(&cfg.Path, "path", "/mcp", "HTTP endpoint path")
	fs.IntVar(&cfg.Conns, "c", 16, "connections")
	fs.IntVar(&cfg.Depth, "k", 1, "closed loop: calls outstanding per connection (pipelining depth)")
	fs.IntVar(&cfg.Rate, "rate", 1000, "open loop: total calls per second")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "measured time (ramp: per step; hold: holding time)")
	fs.DurationVar(&cfg.Warmup, "warmup", time.Second, "unmeasured time before measuring")
	fs.DurationVar(&cfg.Timeout, "timeout", 5*time.Second, "a call unanswered this long counts as a timeout")
	fs.DurationVar(&cfg.Tick, "tick", DefaultTick, "open loop, not spinning: pacing granularity (sends due within a tick leave together; latency counts from each intended time)")
	fs.IntVar(&cfg.ServerPID, "server-pid", 0, "server process id: report its CPU per call and RSS from /proc")
	fs.BoolVar(&cfg.JSON, "json", false, "print results as JSON lines instead of a table")
	fs.IntVar(&cfg.TextSize, "text", 16, "bytes of the echo text")
	fs.BoolVar(&cfg.Spin, "spin", true, "poll for answers without sleeping (the server never pays to wake the generator); the generator's CPU per call then excludes empty polls")
	fs.BoolVar(&cfg.HonorRetryAfter, "honor-retry-after", false, "closed loop: a refused connection waits the refusal's retry hint (at most 1s) before its next call (the overload shape's capacity run always does)")
	fs.StringVar(&cfg.Tool, "tool", "echo", "the tool every call names")
	fs.StringVar(&cfg.Args, "args", "", `the tool's arguments, a JSON object sent as is (e.g. '{"cpuMicros":200}'); empty: echo calls whose text the answer must carry`)
	fs.IntVar(&cfg.Capacity, "capacity", 0, "overload: the server's capacity in calls/s (0: measure it with a closed-loop run first)")
	fs.DurationVar(&cfg.CapacityTime, "capacity-time", 3*time.Second, "overload: measured time of the capacity run")
	fs.IntVar(&cfg.Churn, "churn", 50, "soak: connection cycles a second beside the load (open, call, close; resets; SSE streams cut)")
	fs.StringVar(&cfg.ChurnTCP, "churn-tcp", "", "soak: an NDJSON `ADDR` that every other churn cycle uses")
	fs.StringVar(&cfg.SSETool, "sse-tool", "", "soak: a tool whose answer streams progress (SSE): churning clients cut it after the first event")
	fs.StringVar(&cfg.Plot, "plot", "", "draw the run into `FILE` (.svg or .png): per step for ramp and overload, over time otherwise")
	fs.StringVar(&cfg.Metrics, "metrics", "", "the server's Prometheus metrics `URL` (http://127.0.0.1:PORT/metrics): goroutines in the time series")
	fs.StringVar(&cfg.Pprof, "pprof", "", "the server's pprof `ADDR`: goroutines in the time series (when --metrics is not given)")
	fs.Func("header", "an extra header field `'Name: value'` every HTTP request carries (repeatable; e.g. 'Authorization: Bearer TOKEN')", func(v string) error {
		cfg.Headers = append(cfg.Headers, v)
		return nil
	})
	multiples := fs.String("multiples", "0.5,1,2,4", "overload: offered rates as multiples of the capacity, one window each")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("%w: unexpected argument %q", ErrBadFlag, fs.Arg(0))
	}
	var err error
	if cfg.Target, err = parseTarget(*target); err != nil {
		return nil, err
	}
	if cfg.Shape, err = parseShape(*shape); err != nil {
		return nil, err
	}
	if cfg.RampSteps, err = parseSteps(*steps); err != nil {
		return nil, err
	}
	if cfg.IO, err = parseIOMode(*ioMode); err != nil {
		return nil, err
	}
	if cfg.Multiples, err = parseMultiples(*multiples); err != nil {
		return nil, err
	}
	if cfg.sockaddr, err = loopbackSockaddr(cfg.Addr); err != nil {
		return nil, err
	}
	return &cfg, cfg.validate()
}

func parseTarget(s string) (Target, error) {
	for _, t := range []Target{TargetTCP, TargetHTTP, TargetHTTPModern} {
		if t.String() == s {
			return t, nil
		}
	}
	return 0, fmt.Errorf("%w: --target %q (want tcp, http or http-modern)", ErrBadFlag, s)
}

func parseShape(s string) (Shape, error) {
	for _, sh := range []Shape{ShapeClosed, ShapeOpen, ShapeRamp, ShapeHold, ShapeOverload, ShapeSoak} {
		if sh.String() == s {
			return sh, nil
		}
	}
	return 0, fmt.Errorf("%w: --shape %q (want closed, open, ramp, hold, overload or soak)", ErrBadFlag, s)
}

func parseSteps(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%w: --ramp-steps entry %q", ErrBadFlag, f)
		}
		out = append(out, n)
	}
	return out, nil
}

func parseMultiples(s string) ([]float64, error) {
	var out []float64
	for f := range strings.SplitSeq(s, ",") {
		m, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || !(m > 0) || m > MaxMultiple {
			return nil, fmt.Errorf("%w: --multiples entry %q (a number in (0, %d])", ErrBadFlag, f, MaxMultiple)
		}
		out = append(out, m)
	}
	return out, nil
}

// runTime is warmup plus all measured time (overload: the capacity run's too).
func (c *Config) runTime() time.Duration {
	switch c.Shape {
	case ShapeRamp:
		return c.Warmup + c.Duration*time.Duration(len(c.RampSteps))
	case ShapeOverload:
		t := c.Warmup + c.Duration*time.Duration(len(c.Multiples))
		if c.Capacity == 0 {
			t += 2 * (c.Warmup + c.CapacityTime)
		}
		return t
	}
	return c.Warmup + c.Duration
}

func (c *Config) validate() error {
	switch {
	case c.Conns < 1 || c.Conns > MaxConnections:
		return fmt.Errorf("%w: -c %d (1..%d)", ErrOutOfBounds, c.Conns, MaxConnections)
	case c.Depth < 1 || c.Depth > MaxPipelineDepth:
		return fmt.Errorf("%w: -k %d (1..%d)", ErrOutOfBounds, c.Depth, MaxPipelineDepth)
	case c.Duration <= 0 || c.Warmup < 0 || c.runTime() > c.maxRunTime():
		return fmt.Errorf("%w: warmup+duration %v (at most %v)", ErrOutOfBounds, c.runTime(), c.maxRunTime())
	case c.Shape == ShapeSoak && (c.Churn < 1 || c.Churn > MaxChurn):
		return fmt.Errorf("%w: --churn %d (1..%d)", ErrOutOfBounds, c.Churn, MaxChurn)
	case c.SSETool != "" && !validToolName(c.SSETool):
		return fmt.Errorf("%w: --sse-tool %q", ErrBadFlag, c.SSETool)
	case c.Timeout <= 0 || c.Timeout > time.Minute:
		return fmt.Errorf("%w: --timeout %v (0..1m)", ErrOutOfBounds, c.Timeout)
	case c.Tick < 0 || c.Tick > MaxTick:
		return fmt.Errorf("%w: --tick %v (0..%v)", ErrOutOfBounds, c.Tick, MaxTick)
	case c.TextSize < 1 || c.TextSize > MaxTextSize:
		return fmt.Errorf("%w: --text %d (1..%d)", ErrOutOfBounds, c.TextSize, MaxTextSize)
	case c.Rate < 1 || c.Rate > MaxRate:
		return fmt.Errorf("%w: --rate %d (1..%d)", ErrOutOfBounds, c.Rate, MaxRate)
	case !strings.HasPrefix(c.Path, "/"):
		return fmt.Errorf("%w: --path %q must start with /", ErrBadFlag, c.Path)
	case c.Plot != "" && !plotExt(c.Plot):
		return fmt.Errorf("%w: --plot %q must end in .svg or .png", ErrBadFlag, c.Plot)
	case c.Capacity < 0 || c.Capacity > MaxRate:
		return fmt.Errorf("%w: --capacity %d (0..%d)", ErrOutOfBounds, c.Capacity, MaxRate)
	case c.Shape == ShapeOverload && c.Capacity == 0 && c.CapacityTime <= 0:
		return fmt.Errorf("%w: --capacity-time %v", ErrOutOfBounds, c.CapacityTime)
	case c.Shape == ShapeOverload && len(c.Multiples) == 0:
		return fmt.Errorf("%w: --multiples is empty", ErrBadFlag)
	}
	if err := c.buildCall(); err != nil {
		return err
	}
	if err := c.buildHeaders(); err != nil {
		return err
	}
	if c.ChurnTCP != "" {
		if _, err := loopbackSockaddr(c.ChurnTCP); err != nil {
			return fmt.Errorf("--churn-tcp: %w", err)
		}
	}
	var err error
	if c.probe, err = newGoroutineProbe(c.Metrics, c.Pprof); err != nil {
		return err
	}
	for _, r := range c.RampSteps {
		if r > MaxRate {
			return fmt.Errorf("%w: ramp step %d (at most %d)", ErrOutOfBounds, r, MaxRate)
		}
	}
	if c.Shape == ShapeOverload && c.Capacity > 0 {
		for _, m := range c.Multiples {
			if r := multipleRate(c.Capacity, m); r > MaxRate {
				return fmt.Errorf("%w: --capacity %d × %g = %d calls/s (at most %d)", ErrOutOfBounds, c.Capacity, m, r, MaxRate)
			}
		}
	}
	return nil
}

// multipleRate is the offered rate of one overload window: m times capacity, at least 1.
func multipleRate(capacity int, m float64) int {
	return max(1, int(math.Round(float64(capacity)*m)))
}

// open reports whether the shape paces calls at a rate rather than keeping K in flight.
func (s Shape) open() bool {
	return s == ShapeOpen || s == ShapeRamp || s == ShapeOverload || s == ShapeSoak
}

func (c *Config) maxRunTime() time.Duration {
	if c.Shape == ShapeSoak {
		return MaxSoakTime
	}
	return MaxRunTime
}

// peakRate is the highest offered rate of an open-loop run.
func (c *Config) peakRate() int {
	if c.Shape == ShapeRamp || c.Shape == ShapeOverload {
		return maxOf(c.RampSteps)
	}
	return c.Rate
}

func maxOf(xs []int) int {
	m := 0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}
