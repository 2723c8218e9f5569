package engine

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/densemcp/densemcp/router"
)

// A GET stream whose client goes away is forgotten by its shard even when
// the shard's inbox is full at that moment: the request goroutine waits
// for room. The forgetting was posted without waiting and lost, and the
// session kept a stream nobody reads, to which its messages then went.
func TestNetHTTPForgetsGoneStreamOnFullInbox(t *testing.T) {
	r := router.New(router.Implementation{Name: "nethttp-forget", Version: "1"}, router.Options{})
	h := NewNetHTTP(r, Config{Loops: 1}, nil)
	defer h.Close()
	ns := h.shards[0]

	init := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(
		`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`))
	init.Header.Set("Content-Type", "application/json")
	init.Header.Set("Accept", "application/json, text/event-stream")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, init)
	sid := rec.Header().Get("Mcp-Session-Id")
	if rec.Code != http.StatusOK || sid == "" {
		t.Fatalf("initialize: %d %q", rec.Code, rec.Body.String())
	}
	streams := func() int {
		n := make(chan int, 1)
		if err := ns.in.Execute(func() { n <- len(ns.sessions[sid].streams) }); err != nil {
			t.Fatal(err)
		}
		return <-n
	}

	ctx, cancel := context.WithCancel(context.Background())
	get := httptest.NewRequest(http.MethodGet, "/mcp", nil).WithContext(ctx)
	get.Header.Set("Accept", "text/event-stream")
	get.Header.Set("Mcp-Session-Id", sid)
	returned := make(chan struct{})
	go func() {
		h.ServeHTTP(httptest.NewRecorder(), get)
		close(returned)
	}()
	for deadline := time.Now().Add(10 * time.Second); streams() != 1; {
		if time.Now().After(deadline) {
			t.Fatal("the GET stream never opened")
		}
		time.Sleep(time.Millisecond)
	}

	// Hold the shard's goroutine and fill its inbox, then the client goes.
	hold, held := make(chan struct{}), make(chan struct{})
	if err := ns.in.Execute(func() { close(held); <-hold }); err != nil {
		t.Fatal(err)
	}
	<-held
	for ns.in.Execute(func() {}) == nil {
	}
	cancel()
	select {
	case <-returned: // the forgetting was not waited for
	case <-time.After(200 * time.Millisecond):
	}
	close(hold)
	select {
	case <-returned:
	case <-time.After(10 * time.Second):
		t.Fatal("the GET never returned once the inbox had room")
	}
	if n := streams(); n != 0 {
		t.Fatalf("%d streams left on the session after its client went away", n)
	}
}
