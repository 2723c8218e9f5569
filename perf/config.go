//go:build linux

package perf

import (
	"flag"
	"fmt"
	"io"
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
	// MaxConnections bounds -c: 20K covers the 15K-connection target with room to spare.
	MaxConnections = 20000
	// MaxPipelineDepth bounds -k, the requests outstanding per connection in closed loop.
	MaxPipelineDepth = 1024
	// MaxRate bounds --rate and each ramp step, in calls per second.
	MaxRate = 5_000_000
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

	sockaddr unix.Sockaddr
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
	for _, sh := range []Shape{ShapeClosed, ShapeOpen, ShapeRamp, ShapeHold} {
		if sh.String() == s {
			return sh, nil
		}
	}
	return 0, fmt.Errorf("%w: --shape %q (want closed, open, ramp or hold)", ErrBadFlag, s)
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

// runTime is warmup plus all measured time.
func (c *Config) runTime() time.Duration {
	if c.Shape == ShapeRamp {
		return c.Warmup + c.Duration*time.Duration(len(c.RampSteps))
	}
	return c.Warmup + c.Duration
}

func (c *Config) validate() error {
	switch {
	case c.Conns < 1 || c.Conns > MaxConnections:
		return fmt.Errorf("%w: -c %d (1..%d)", ErrOutOfBounds, c.Conns, MaxConnections)
	case c.Depth < 1 || c.Depth > MaxPipelineDepth:
		return fmt.Errorf("%w: -k %d (1..%d)", ErrOutOfBounds, c.Depth, MaxPipelineDepth)
	case c.Duration <= 0 || c.Warmup < 0 || c.runTime() > MaxRunTime:
		return fmt.Errorf("%w: warmup+duration %v (at most %v)", ErrOutOfBounds, c.runTime(), MaxRunTime)
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
	}
	for _, r := range c.RampSteps {
		if r > MaxRate {
			return fmt.Errorf("%w: ramp step %d (at most %d)", ErrOutOfBounds, r, MaxRate)
		}
	}
	return nil
}

// peakRate is the highest offered rate of an open-loop run.
func (c *Config) peakRate() int {
	if c.Shape == ShapeRamp {
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
