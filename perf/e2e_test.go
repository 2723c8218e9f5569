//go:build linux

package perf

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/densemcp/densemcp/perf/floorsrv"
)

func startFloor(t *testing.T) *floorsrv.Server {
	t.Helper()
	s, err := floorsrv.Start("127.0.0.1:0", "127.0.0.1:0", 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	return s
}

func runBench(t *testing.T, cfg Config) Row {
	t.Helper()
	if cfg.Duration == 0 {
		cfg.Duration = time.Second
	}
	cfg.Timeout, cfg.Path, cfg.Rate = 2*time.Second, "/mcp", max(cfg.Rate, 1)
	if cfg.TextSize == 0 {
		cfg.TextSize = 24
	}
	rows, err := Run(&cfg, nil)
	if err != nil {
		t.Fatalf("%s %s: %v", cfg.Target, cfg.Shape, err)
	}
	return rows[len(rows)-1]
}

// ioModes is the transports to test: both, or epoll alone where the kernel refuses a ring
// (a container whose seccomp profile blocks io_uring, say).
func ioModes(t *testing.T) []IOMode {
	t.Helper()
	r, err := newURing()
	if err != nil {
		t.Logf("io_uring not tested here: %v", err)
		return []IOMode{IOEpoll}
	}
	r.close()
	return []IOMode{IOEpoll, IOURing}
}

func TestEndToEndFloor(t *testing.T) {
	for _, io := range ioModes(t) {
		for _, spin := range []bool{false, true} {
			name := io.String() + "/sleeping"
			if spin {
				name = io.String() + "/spinning"
			}
			t.Run(name, func(t *testing.T) { testEndToEndFloor(t, io, spin) })
		}
	}
}

func testEndToEndFloor(t *testing.T, io IOMode, spin bool) {
	s := startFloor(t)
	f := func(target Target, addr string, shape Shape, conns, depth, rate int) {
		t.Helper()
		r := runBench(t, Config{Target: target, Addr: addr, Shape: shape, Conns: conns, Depth: depth,
			Rate: rate, RampSteps: []int{rate}, IO: io, Spin: spin})
		want := io.String()
		if shape == ShapeHold {
			want = "epoll" // a hold measures no calls
		}
		if r.IO != want {
			t.Fatalf("%s %s: measured with %q, want %q", target, shape, r.IO, want)
		}
		// A spinning generator finds nothing in some polls and counts their time as idle;
		// a sleeping one (or a hold) counts none.
		if wantSpin := spin && shape != ShapeHold; r.Spin != wantSpin || (r.GenIdlePerCallUs > 0) != wantSpin {
			t.Fatalf("%s %s: spin=%v idle per call %.3f µs, want spin=%v", target, shape, r.Spin, r.GenIdlePerCallUs, wantSpin)
		}
		if r.Errors != 0 || r.Timeouts != 0 || r.Shed != 0 || r.SetupFailed != 0 {
			t.Fatalf("%s %s: errors=%d %v timeouts=%d shed=%d setup failed=%d", target, shape,
				r.Errors, r.ErrorKinds, r.Timeouts, r.Shed, r.SetupFailed)
		}
		if shape != ShapeHold && r.Calls == 0 {
			t.Fatalf("%s %s: no calls", target, shape)
		}
		if r.Established != conns {
			t.Fatalf("%s %s: %d of %d connections established", target, shape, r.Established, conns)
		}
	}
	f(TargetTCP, s.TCPAddr, ShapeClosed, 4, 8, 0)
	f(TargetHTTP, s.HTTPAddr, ShapeClosed, 4, 4, 0)
	f(TargetHTTPModern, s.HTTPAddr, ShapeClosed, 2, 1, 0)
	f(TargetTCP, s.TCPAddr, ShapeOpen, 2, 1, 2000)
	f(TargetHTTP, s.HTTPAddr, ShapeRamp, 2, 1, 1000)
	f(TargetHTTP, s.HTTPAddr, ShapeHold, 20, 1, 0)
	f(TargetTCP, s.TCPAddr, ShapeHold, 20, 1, 0)
}

// TestEndToEndCountsBadAnswers runs against a server that breaks every third answer in a
// different way, and checks that each kind is counted and good answers still count.
func TestEndToEndCountsBadAnswers(t *testing.T) {
	addr := startLineServer(t, nil, serveBadAnswers)
	for _, io := range ioModes(t) {
		r := runBench(t, Config{Target: TargetTCP, Addr: addr, Shape: ShapeClosed, Conns: 1, Depth: 1, IO: io})
		if r.Calls == 0 || r.ErrorKinds["no_echo_text"] == 0 || r.ErrorKinds["rpc_error"] == 0 {
			t.Fatalf("%s: calls=%d errors=%v", io, r.Calls, r.ErrorKinds)
		}
		if r.ErrorKinds["wrong_id"] != 0 || r.Timeouts != 0 {
			t.Fatalf("%s: unexpected: errors=%v timeouts=%d", io, r.ErrorKinds, r.Timeouts)
		}
	}
}

// startLineServer serves NDJSON on a loopback port, one goroutine per connection;
// control, when set, runs on the listening socket (to size its buffers).
func startLineServer(t *testing.T, control func(fd uintptr), serve func(net.Conn)) string {
	t.Helper()
	lc := net.ListenConfig{}
	if control != nil {
		lc.Control = func(_, _ string, rc syscall.RawConn) error { return rc.Control(control) }
	}
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serve(c)
		}
	}()
	return ln.Addr().String()
}

// echoAnswer is the correct answer to the call on line, or the initialize answer.
func echoAnswer(line []byte, id uint64) []byte {
	out := []byte(`{"jsonrpc":"2.0","id":` + strconv.FormatUint(id, 10))
	if bytes.Contains(line, []byte(`"initialize"`)) {
		return append(out, `,"result":{"protocolVersion":"2025-11-25","capabilities":{}}}`+"\n"...)
	}
	if len(line) == 0 || line[len(line)-1] != '}' {
		return nil // cut off by the generator's close (below)
	}
	i := bytes.Index(line, []byte(`"text":"`))
	if i < 0 {
		// A call to another tool (--tool, --args): an empty success.
		return append(out, `,"result":{"content":[]}}`+"\n"...)
	}
	j := bytes.IndexByte(line[i+8:], '"')
	if j < 0 {
		// A request cut off by the generator's close at the end of the run:
		// bufio.Scanner returns the unterminated tail at EOF. No answer.
		return nil
	}
	out = append(out, `,"result":{"content":[{"type":"text","text":"`...)
	out = append(out, line[i+8:i+8+j]...)
	return append(out, `"}]}}`+"\n"...)
}

// TestEndToEndSplitAnswers sends every answer in two writes with a pause between, so
// answers arrive cut at arbitrary points and the generator must join them.
func TestEndToEndSplitAnswers(t *testing.T) {
	addr := startLineServer(t, nil, func(c net.Conn) {
		defer c.Close()
		sc := bufio.NewScanner(c)
		for sc.Scan() {
			id, ok := answerID(sc.Bytes())
			if !ok {
				continue
			}
			out := echoAnswer(sc.Bytes(), id)
			if out == nil {
				continue
			}
			cut := int(id) % len(out)
			if _, err := c.Write(out[:cut]); err != nil {
				return
			}
			time.Sleep(50 * time.Microsecond)
			if _, err := c.Write(out[cut:]); err != nil {
				return
			}
		}
	})
	for _, io := range ioModes(t) {
		r := runBench(t, Config{Target: TargetTCP, Addr: addr, Shape: ShapeClosed, Conns: 2, Depth: 2, IO: io})
		if r.Calls == 0 || r.Errors != 0 || r.Timeouts != 0 {
			t.Fatalf("%s: calls=%d errors=%v timeouts=%d", io, r.Calls, r.ErrorKinds, r.Timeouts)
		}
	}
}

// TestEndToEndSlowReader loads a server with a 4 KiB receive buffer that pauses between
// reads, with calls of 48 KiB: sends cannot complete at once and must be finished later
// (after EPOLLOUT on epoll; on io_uring the kernel parks the send until there is room and
// completes it late, and new calls queue behind it meanwhile).
func TestEndToEndSlowReader(t *testing.T) {
	small := func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) }
	addr := startLineServer(t, small, func(c net.Conn) {
		defer c.Close()
		sc := bufio.NewScanner(&pausingReader{r: c})
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if id, ok := answerID(sc.Bytes()); ok {
				if _, err := c.Write(echoAnswer(sc.Bytes(), id)); err != nil {
					return
				}
			}
		}
	})
	for _, io := range ioModes(t) {
		r := runBench(t, Config{Target: TargetTCP, Addr: addr, Shape: ShapeClosed, Conns: 2, Depth: 4,
			TextSize: 48 << 10, IO: io})
		if r.Calls == 0 || r.Errors != 0 || r.Timeouts != 0 {
			t.Fatalf("%s: calls=%d errors=%v timeouts=%d", io, r.Calls, r.ErrorKinds, r.Timeouts)
		}
	}
}

// pausingReader reads at most 2 KiB at a time with a pause before each read.
type pausingReader struct{ r io.Reader }

func (p *pausingReader) Read(b []byte) (int, error) {
	time.Sleep(100 * time.Microsecond)
	return p.r.Read(b[:min(len(b), 2048)])
}

// TestEndToEndServerCloses has the server hang up after a few answers on each
// connection: the calls left in flight count as lost, and the run ends normally.
func TestEndToEndServerCloses(t *testing.T) {
	addr := startLineServer(t, nil, func(c net.Conn) {
		defer c.Close()
		sc := bufio.NewScanner(c)
		for n := 0; sc.Scan() && n < 50; {
			if id, ok := answerID(sc.Bytes()); ok {
				n++
				if _, err := c.Write(echoAnswer(sc.Bytes(), id)); err != nil {
					return
				}
			}
		}
	})
	for _, io := range ioModes(t) {
		r := runBench(t, Config{Target: TargetTCP, Addr: addr, Shape: ShapeClosed, Conns: 3, Depth: 2, IO: io,
			Warmup: 0})
		if r.LostConns != 3 || r.ErrorKinds["conn_lost"] == 0 || r.Calls == 0 {
			t.Fatalf("%s: lost=%d calls=%d errors=%v", io, r.LostConns, r.Calls, r.ErrorKinds)
		}
	}
}

// serveBadAnswers answers initialize properly and then, by call id modulo 3: a correct
// echo, an echo of the wrong text, or a JSON-RPC error.
func serveBadAnswers(c net.Conn) {
	defer c.Close()
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		line := sc.Bytes()
		id, ok := answerID(line)
		if !ok {
			continue // the initialized notification
		}
		out := []byte(`{"jsonrpc":"2.0","id":` + strconv.FormatUint(id, 10))
		switch {
		case bytes.Contains(line, []byte(`"initialize"`)):
			out = append(out, `,"result":{"protocolVersion":"2025-11-25","capabilities":{}}}`...)
		case id%3 == 0:
			out = append(out, `,"result":{"content":[{"type":"text","text":"`...)
			out = appendText(out, id, 24)
			out = append(out, `"}]}}`...)
		case id%3 == 1:
			out = append(out, `,"result":{"content":[{"type":"text","text":"wrong"}]}}`...)
		default:
			out = append(out, `,"error":{"code":-32603,"message":"broken"}}`...)
		}
		if _, err := c.Write(append(out, '\n')); err != nil {
			return
		}
	}
}

// TestRunRefusesNonLoopback checks the guard is applied by Run itself, before any dial.
func TestRunRefusesNonLoopback(t *testing.T) {
	cfg := Config{Target: TargetTCP, Addr: "192.0.2.1:80", Conns: 1, Depth: 1, Rate: 1,
		Duration: time.Second, Timeout: time.Second, TextSize: 1, Path: "/mcp"}
	if _, err := Run(&cfg, nil); err == nil {
		t.Fatal("Run accepted a non-loopback address")
	}
}
