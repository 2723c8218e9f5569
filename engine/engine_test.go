package engine

import (
	"bufio"
	"context"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/densemcp/densemcp/router"
)

func startServer(t *testing.T, cfg Config, setup func(r *router.Router)) (*Server, string) {
	t.Helper()
	r := router.New(router.Implementation{Name: "engine-test", Version: "1"}, router.Options{})
	if setup != nil {
		setup(r)
	}
	s := New(r, cfg, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	done := make(chan error, 1)
	go func() { done <- s.ServeTCP(addr) }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.WaitStarted(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Stop(ctx)
		<-done
	})
	return s, addr
}

// addWaitTool registers "wait", a blocking tool that answers "done" once
// release is closed (or its call ends).
func addWaitTool(t *testing.T, r *router.Router, release <-chan struct{}) {
	t.Helper()
	err := r.AddTool(router.Tool{Name: "wait"}, func(req *router.Request, _ []byte) error {
		select {
		case <-release:
		case <-req.Context().Done():
		}
		req.Result.AddText("done")
		return nil
	}, false)
	if err != nil {
		t.Fatal(err)
	}
}

const initLines = `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}` + "\n" +
	`{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n"

// A client that sends requests but never reads its answers is closed as a
// slow consumer once the answers queued for it pass the limit; another
// connection keeps working.
func TestSlowConsumerIsClosed(t *testing.T) {
	big := strings.Repeat("x", 256<<10)
	s, addr := startServer(t, Config{MaxOutboundBytes: 64 << 10}, func(r *router.Router) {
		err := r.AddTool(router.Tool{Name: "big", Inline: true}, func(req *router.Request, _ []byte) error {
			req.Result.AddText(big)
			return nil
		}, false)
		if err != nil {
			t.Fatal(err)
		}
	})
	// A tiny receive buffer set before connecting keeps the advertised
	// window small, so answers pile up on the server side quickly.
	dialer := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) {
			_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4<<10)
		})
	}}
	c, err := dialer.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	c.Write([]byte(initLines))
	call := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"big"}}` + "\n")
	deadline := time.Now().Add(10 * time.Second)
	for s.ClosedBy(CloseSlowConsumer) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("slow consumer never closed")
		}
		if _, err := c.Write(call); err != nil {
			break // closed by the server
		}
	}
	for s.ClosedBy(CloseSlowConsumer) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("slow consumer never counted")
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("slow consumer closed after %v", time.Since(deadline.Add(-10*time.Second)))
	// The server is unharmed.
	d, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.SetDeadline(time.Now().Add(10 * time.Second))
	d.Write([]byte(`{"jsonrpc":"2.0","id":5,"method":"ping"}` + "\n"))
	line, err := bufio.NewReader(d).ReadString('\n')
	if err != nil || !strings.Contains(line, `"id":5,"result":{}`) {
		t.Fatalf("ping after a slow consumer: %q %v", line, err)
	}
}

// Idle SSE streams get heartbeat comments.
func TestSSEHeartbeat(t *testing.T) {
	r := router.New(router.Implementation{Name: "hb", Version: "1"}, router.Options{})
	s := New(r, Config{HTTP: HTTPConfig{Heartbeat: 50 * time.Millisecond}}, nil)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	done := make(chan error, 1)
	go func() { done <- s.Serve("", addr) }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Stop(ctx)
		<-done
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.WaitStarted(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
	c.Write([]byte("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " + itoa(len(body)) + "\r\n\r\n" + body))
	br := bufio.NewReader(c)
	sid := ""
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if v, ok := strings.CutPrefix(line, "Mcp-Session-Id: "); ok {
			sid = strings.TrimSpace(v)
		}
		if line == "\r\n" {
			break
		}
	}
	br.Discard(br.Buffered())
	g, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	g.SetDeadline(time.Now().Add(10 * time.Second))
	g.Write([]byte("GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nMcp-Session-Id: " + sid + "\r\n\r\n"))
	gr := bufio.NewReader(g)
	for {
		line, err := gr.ReadString('\n')
		if err != nil {
			t.Fatalf("no heartbeat on the GET stream: %v", err)
		}
		if strings.HasPrefix(line, ": ping") {
			return
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// Past MaxConnections a new connection is closed at once; closing one
// makes room again.
func TestMaxConnections(t *testing.T) {
	s, addr := startServer(t, Config{MaxConnections: 2}, nil)
	ping := func(c net.Conn) error {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write([]byte(`{"jsonrpc":"2.0","id":1,"method":"ping"}` + "\n")); err != nil {
			return err
		}
		_, err := bufio.NewReader(c).ReadString('\n')
		return err
	}
	var held []net.Conn
	for i := 0; i < 2; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := ping(c); err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		held = append(held, c)
	}
	extra, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	if err := ping(extra); err == nil {
		t.Fatal("a third connection was served past MaxConnections=2")
	}
	if s.ClosedBy(CloseMaxConnections) == 0 {
		t.Fatal("refusal not counted")
	}
	held[0].Close()
	deadline := time.Now().Add(5 * time.Second)
	for s.Stats.Open.Load() > 1 {
		if time.Now().After(deadline) {
			t.Fatal("closed connection still counted")
		}
		time.Sleep(5 * time.Millisecond)
	}
	again, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if err := ping(again); err != nil {
		t.Fatalf("after a close there is room again: %v", err)
	}
}
