package engine

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/densemcp/densemcp/router"
)

// A DELETE whose task a shard accepted must be answered even when Close
// stops the shard before the task ran: the request goroutine waits for the
// task's verdict, and an http.Server's Shutdown waits for that goroutine.
// Close used to leave tasks queued in the inbox unrun, so whether the
// DELETE hung depended on which ready case the shard's select took; each
// round gives it that chance again.
func TestNetHTTPCloseAnswersAcceptedDelete(t *testing.T) {
	for round := 0; round < 16; round++ {
		r := router.New(router.Implementation{Name: "nethttp-close", Version: "1"}, router.Options{})
		h := NewNetHTTP(r, Config{Loops: 1}, nil)
		ns := h.shards[0]
		// Hold the shard goroutine so the DELETE's task waits in the inbox.
		hold, held := make(chan struct{}), make(chan struct{})
		if err := ns.in.Execute(func() { close(held); <-hold }); err != nil {
			t.Fatal(err)
		}
		<-held
		answered := make(chan int, 1)
		go func() {
			req := httptest.NewRequest(http.MethodDelete, "/mcp", nil)
			req.Header.Set("Mcp-Session-Id", "0123456789abcdef0123456789abcdef")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			answered <- rec.Code
		}()
		for len(ns.in.C) == 0 {
			time.Sleep(time.Millisecond)
		}
		closed := make(chan struct{})
		go func() { h.Close(); close(closed) }()
		<-h.stop // Close has begun: the shard sees stop and the task at once
		close(hold)
		<-closed
		select {
		case code := <-answered:
			if code != http.StatusNotFound {
				t.Fatalf("round %d: DELETE of an unknown session answered %d, want 404", round, code)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: the DELETE was never answered after Close", round)
		}
	}
}
