package densemcp_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/densemcp/densemcp"
)

// A blocking tool runs on the pool; when every worker is busy the next
// call is refused with "server busy" and a retry hint, at once.
func TestBusyPoolAnswersRetryHint(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	s := newTestServer(t, &densemcp.Options{Workers: 1}, func(s *densemcp.Server) {
		err := s.AddRawTool(&densemcp.Tool{Name: "slow"}, func(_ context.Context, req *densemcp.Request, args json.RawMessage) error {
			started <- struct{}{}
			<-release
			req.Result.AddText("done")
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	addr := serveTCP(t, s)
	l := dialLines(t, addr)
	l.initLegacy()
	l.send(`{"jsonrpc":"2.0","id":"slow1","method":"tools/call","params":{"name":"slow"}}` + "\n")
	<-started
	a := decodeAnswer(t, l.roundTrip(`{"jsonrpc":"2.0","id":"slow2","method":"tools/call","params":{"name":"slow"}}`))
	if a.Error == nil || a.Error.Code != -32000 || !strings.Contains(string(a.Error.Data), `"retryAfterMs":`) || string(a.ID) != `"slow2"` {
		t.Fatalf("full pool: %s %+v", a.ID, a.Error)
	}
	// The loop is not blocked: inline work still answers.
	l.expectPing()
	close(release)
	a = decodeAnswer(t, l.recv())
	if string(a.ID) != `"slow1"` || !strings.Contains(string(a.Result), `"done"`) {
		t.Fatalf("slow1 answer: %s %s", a.ID, a.Result)
	}
}

// A handler panic fails that request only, with -32603.
func TestHandlerPanicFailsOnlyThatRequest(t *testing.T) {
	s := newTestServer(t, nil, func(s *densemcp.Server) {
		for _, inline := range []bool{true, false} {
			name := "boom_pooled"
			if inline {
				name = "boom_inline"
			}
			err := s.AddRawTool(&densemcp.Tool{Name: name, Inline: inline}, func(_ context.Context, req *densemcp.Request, args json.RawMessage) error {
				panic("kaboom")
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	})
	addr := serveTCP(t, s)
	l := dialLines(t, addr)
	l.initLegacy()
	for _, name := range []string{"boom_inline", "boom_pooled"} {
		a := decodeAnswer(t, l.roundTrip(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"`+name+`"}}`))
		if a.Error == nil || a.Error.Code != -32603 {
			t.Fatalf("%s: %s %+v", name, a.Result, a.Error)
		}
		l.expectPing()
	}
}

// notifications/cancelled cancels the handler's context and its late
// answer is never sent; unknown ids are ignored.
func TestCancelledRequestIsNotAnswered(t *testing.T) {
	cancelled := make(chan struct{})
	s := newTestServer(t, nil, func(s *densemcp.Server) {
		err := s.AddRawTool(&densemcp.Tool{Name: "wait"}, func(_ context.Context, req *densemcp.Request, args json.RawMessage) error {
			<-req.Context().Done()
			close(cancelled)
			req.Result.AddText("too late")
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	addr := serveTCP(t, s)
	l := dialLines(t, addr)
	l.initLegacy()
	l.send(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"wait"}}` + "\n")
	l.send(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":999}}` + "\n")
	l.send(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7,"reason":"user"}}` + "\n")
	<-cancelled
	// The next answer on the wire is the ping's, not request 7's.
	l.expectPing()
	l.expectPing()
}

// Shutdown drains: a request running when the server is told to stop is
// still answered before the connection closes.
func TestShutdownAnswersRunningRequests(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	s := newTestServer(t, nil, func(s *densemcp.Server) {
		err := s.AddRawTool(&densemcp.Tool{Name: "finish"}, func(_ context.Context, req *densemcp.Request, args json.RawMessage) error {
			close(started)
			<-release
			req.Result.AddText("finished")
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.ListenAndServeTCP(ctx, addr) }()
	var l *lineConn
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			l = &lineConn{t: t, c: c, r: bufio.NewReader(c)}
			defer c.Close()
			break
		}
		if i > 500 {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	l.initLegacy()
	l.send(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"finish"}}` + "\n")
	<-started
	cancel()
	time.AfterFunc(50*time.Millisecond, func() { close(release) })
	a := decodeAnswer(t, l.recv())
	if !strings.Contains(string(a.Result), "finished") {
		t.Fatalf("running request during shutdown: %s %+v", a.Result, a.Error)
	}
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("ServeTCP: %v", err)
	}
}

// A blocking handler's context ends after HandlerTimeout; one that heeds
// it answers for itself (its error becomes an isError result).
func TestHandlerTimeout(t *testing.T) {
	s := newTestServer(t, &densemcp.Options{HandlerTimeout: 100 * time.Millisecond}, func(s *densemcp.Server) {
		err := s.AddRawTool(&densemcp.Tool{Name: "stuck"}, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
			<-req.Context().Done()
			return req.Context().Err()
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	l := dialLines(t, serveTCP(t, s))
	l.initLegacy()
	a := decodeAnswer(t, l.roundTrip(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"stuck"}}`))
	if a.Error != nil || !strings.Contains(string(a.Result), `"isError":true`) || !strings.Contains(string(a.Result), "deadline") {
		t.Fatalf("timed-out handler: %s %+v", a.Result, a.Error)
	}
}
