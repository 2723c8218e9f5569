package densemcp_test

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/densemcp/densemcp"
	"github.com/densemcp/densemcp/engine"
)

type echoIn struct {
	Text string `json:"text"`
}

type echoOut struct {
	Text string `json:"text"`
}

// newTestServer returns a server with the echo tool plus the given setup.
func newTestServer(t *testing.T, opts *densemcp.Options, setup func(s *densemcp.Server)) *densemcp.Server {
	t.Helper()
	s := densemcp.NewServer(densemcp.Implementation{Name: "test", Version: "1.0.0"}, opts)
	err := densemcp.AddTool(s, &densemcp.Tool{Name: "echo", Description: "echo", Inline: true},
		func(_ context.Context, req *densemcp.Request, in echoIn) (echoOut, error) {
			req.Result.AddText(in.Text)
			return echoOut(in), nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if setup != nil {
		setup(s)
	}
	return s
}

// freeAddr returns a loopback address that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	handedOut.Lock()
	defer handedOut.Unlock()
	for {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		// The kernel may hand a port it just freed out again: a test
		// asking twice (a server's listener and its admin listener)
		// must not get the same one.
		if !handedOut.addrs[addr] {
			handedOut.addrs[addr] = true
			return addr
		}
	}
}

// handedOut are the addresses freeAddr returned in this test binary.
var handedOut = struct {
	sync.Mutex
	addrs map[string]bool
}{addrs: map[string]bool{}}

// serveTCP runs s on a loopback port until the test ends.
func serveTCP(t *testing.T, s *densemcp.Server) string {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.ListenAndServeTCP(ctx, addr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("ServeTCP: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("server did not stop")
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("server never listened on %s: %v", addr, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// lineConn is a raw NDJSON client.
type lineConn struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dialLines(t *testing.T, addr string) *lineConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &lineConn{t: t, c: c, r: bufio.NewReaderSize(c, 1<<20)}
}

func (l *lineConn) send(s string) {
	l.t.Helper()
	if _, err := l.c.Write([]byte(s)); err != nil {
		l.t.Fatalf("write: %v", err)
	}
}

func (l *lineConn) recv() string {
	l.t.Helper()
	l.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := l.r.ReadString('\n')
	if err != nil {
		l.t.Fatalf("read: %v (got %q)", err, line)
	}
	return strings.TrimSuffix(line, "\n")
}

// roundTrip sends one line and returns the answer line.
func (l *lineConn) roundTrip(s string) string {
	l.t.Helper()
	l.send(s + "\n")
	return l.recv()
}

// expectPing checks the connection still answers.
func (l *lineConn) expectPing() {
	l.t.Helper()
	got := l.roundTrip(`{"jsonrpc":"2.0","id":"after","method":"ping"}`)
	if got != `{"jsonrpc":"2.0","id":"after","result":{}}` {
		l.t.Fatalf("ping after bad input: %s", got)
	}
}

// initLegacy performs the legacy handshake on a raw connection.
func (l *lineConn) initLegacy() {
	l.t.Helper()
	got := l.roundTrip(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`)
	if !strings.Contains(got, `"protocolVersion":"2025-11-25"`) {
		l.t.Fatalf("initialize: %s", got)
	}
	l.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n")
}

var _ = engine.DefaultMaxLineBytes
