//go:build linux

package perf

import (
	"bufio"
	"bytes"
	"net"
	"strconv"
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

func TestEndToEndFloor(t *testing.T) {
	s := startFloor(t)
	f := func(target Target, addr string, shape Shape, conns, depth, rate int) {
		t.Helper()
		r := runBench(t, Config{Target: target, Addr: addr, Shape: shape, Conns: conns, Depth: depth,
			Rate: rate, RampSteps: []int{rate}})
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serveBadAnswers(c)
		}
	}()
	r := runBench(t, Config{Target: TargetTCP, Addr: ln.Addr().String(), Shape: ShapeClosed, Conns: 1, Depth: 1})
	if r.Calls == 0 || r.ErrorKinds["no_echo_text"] == 0 || r.ErrorKinds["rpc_error"] == 0 {
		t.Fatalf("calls=%d errors=%v", r.Calls, r.ErrorKinds)
	}
	if r.ErrorKinds["wrong_id"] != 0 || r.Timeouts != 0 {
		t.Fatalf("unexpected: errors=%v timeouts=%d", r.ErrorKinds, r.Timeouts)
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
