//go:build linux

package perf

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestHeaderFlag(t *testing.T) {
	f := func(want error, args ...string) {
		t.Helper()
		cfg, err := parseConfig(append([]string{"--addr", "127.0.0.1:9", "--target", "http"}, args...), io.Discard)
		if !errors.Is(err, want) && !(want == nil && err == nil) {
			t.Fatalf("parseConfig(%q) = %v, want %v", args, err, want)
		}
		if err != nil && cfg != nil && cfg.headerBlock != nil {
			t.Fatalf("parseConfig(%q): refused, yet rendered %q", args, cfg.headerBlock)
		}
	}
	f(nil, "--header", "Authorization: Bearer abc.def.ghi")
	f(nil, "--header", "X-A: 1", "--header", "x-b:2", "--header", "Mcp-Param-Region: us-west1")
	f(nil, "--header", "X-Empty:")
	f(nil, "--header", "X-Tab: a\tb", "--header", "X-Obs: caf\xc3\xa9")
	f(ErrBadFlag, "--header", "no colon")
	f(ErrBadFlag, "--header", ": value")
	f(ErrBadFlag, "--header", "Bad Name: v")
	f(ErrBadFlag, "--header", "X-A : v")
	f(ErrBadFlag, "--header", "X-(A): v")
	f(ErrBadFlag, "--header", "X-A: v\r\nX-Injected: 1")
	f(ErrBadFlag, "--header", "X-A: v\nX-Injected: 1")
	f(ErrBadFlag, "--header", "X-A: v\r")
	f(ErrBadFlag, "--header", "X-A: v\x00")
	f(ErrBadFlag, "--header", "X-A: v\x7f")
	f(ErrBadFlag, "--header", "Content-Length: 0")
	f(ErrBadFlag, "--header", "host: example.com")
	f(ErrBadFlag, "--header", "Mcp-Session-Id: s1")
	f(ErrBadFlag, "--header", "Transfer-Encoding: chunked")
	f(ErrOutOfBounds, "--header", "X-Big: "+strings.Repeat("a", MaxHeaderBytes))
	many := []string{}
	for range MaxHeaders + 1 {
		many = append(many, "--header", "X-A: 1")
	}
	f(ErrOutOfBounds, many...)
	// NDJSON has no header to carry them.
	if _, err := parseConfig([]string{"--addr", "127.0.0.1:9", "--target", "tcp", "--header", "X-A: 1"}, io.Discard); !errors.Is(err, ErrBadFlag) {
		t.Fatalf("--header with --target tcp: %v", err)
	}
	cfg, err := parseConfig([]string{"--addr", "127.0.0.1:9", "--target", "http-modern", "--header", "X-A:  one two \t", "--header", "X-B:2"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(cfg.headerBlock), "X-A: one two\r\nX-B: 2\r\n"; got != want {
		t.Fatalf("rendered %q, want %q", got, want)
	}
}

// headerCheck wraps a handler: a request without every wanted field gets 401 and is
// counted by method, as a server that requires a token would answer.
type headerCheck struct {
	want map[string]string
	next http.HandlerFunc

	mu      sync.Mutex
	with    map[string]int
	without map[string]int
}

func (h *headerCheck) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ok := true
	for k, v := range h.want {
		if got := r.Header.Values(k); len(got) != 1 || got[0] != v {
			ok = false
		}
	}
	h.mu.Lock()
	if ok {
		h.with[r.Method]++
	} else {
		h.without[r.Method]++
	}
	h.mu.Unlock()
	if !ok {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	h.next(w, r)
}

// Every HTTP request of a run carries the --header fields: the handshake, the calls of
// both eras on both transports, GET streams, and the churn's requests (initialize, calls,
// streams, DELETE).
func TestHeaderReachesServer(t *testing.T) {
	want := map[string]string{"Authorization": "Bearer tok.en", "X-Tenant": "acme"}
	headers := []string{"Authorization: Bearer tok.en", "X-Tenant:acme"}
	h := &headerCheck{want: want, next: streamingHandler, with: map[string]int{}, without: map[string]int{}}
	addr := startHTTPServer(t, h.ServeHTTP)
	for _, io := range ioModes(t) {
		for _, target := range []Target{TargetHTTP, TargetHTTPModern} {
			r := runBench(t, Config{Target: target, Addr: addr, Shape: ShapeClosed, Conns: 2, Depth: 2, IO: io,
				Duration: 300 * time.Millisecond, Headers: headers})
			if r.Calls == 0 || r.Errors != 0 || r.SetupFailed != 0 {
				t.Fatalf("%s %s: calls=%d errors=%v setup failed=%d", io, target, r.Calls, r.ErrorKinds, r.SetupFailed)
			}
		}
	}
	r := runBench(t, Config{Target: TargetHTTP, Addr: addr, Shape: ShapeHold, Conns: 3, Depth: 1, Duration: 200 * time.Millisecond, Headers: headers})
	if r.Established != 3 {
		t.Fatalf("hold: %d of 3 connections established", r.Established)
	}
	rows, err := Run(&Config{Target: TargetHTTP, Addr: addr, Shape: ShapeSoak, Conns: 2, Depth: 1, Rate: 200, Churn: 100,
		SSETool: "slow", Duration: time.Second, Timeout: 2 * time.Second, Tick: DefaultTick, Path: "/mcp",
		TextSize: 16, IO: IOEpoll, Headers: headers}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c := rows[0].Churn; c == nil || c.Polite == 0 || c.PoliteErrors != 0 {
		t.Fatalf("soak churn: %+v", c)
	}
	h.mu.Lock()
	with, without := h.with, h.without
	h.with, h.without = map[string]int{}, map[string]int{}
	h.mu.Unlock()
	if len(without) != 0 {
		t.Fatalf("requests without the fields, by method: %v", without)
	}
	if with["POST"] == 0 || with["GET"] == 0 || with["DELETE"] == 0 {
		t.Fatalf("requests with the fields, by method: %v (want POST, GET and DELETE)", with)
	}

	// The check is real: without --header the same server refuses every request.
	r = runBench(t, Config{Target: TargetHTTPModern, Addr: addr, Shape: ShapeClosed, Conns: 1, Depth: 1, Duration: 200 * time.Millisecond})
	if r.Calls != 0 || r.ErrorKinds["http_status"] == 0 {
		t.Fatalf("without --header: calls=%d errors=%v", r.Calls, r.ErrorKinds)
	}
}
