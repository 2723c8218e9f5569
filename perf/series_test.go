//go:build linux

package perf

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
)

func TestParseGoroutines(t *testing.T) {
	f := func(body string, metrics bool, want int, wantOK bool) {
		t.Helper()
		got, ok := parseGoroutines(strings.NewReader(body), metrics)
		if got != want || ok != wantOK {
			t.Fatalf("parseGoroutines(%q, %v) = %d %v, want %d %v", body, metrics, got, ok, want, wantOK)
		}
	}
	f("# HELP go_goroutines Number of goroutines.\n# TYPE go_goroutines gauge\ngo_goroutines 42\ngo_threads 9\n", true, 42, true)
	f("go_goroutines_total 3\ngo_goroutines 7e+00\n", true, 7, true)
	f("go_threads 9\n", true, 0, false)
	f("goroutine profile: total 118\n5 @ 0x1 0x2\n", false, 118, true)
	f("something else\ngoroutine profile: total 118\n", false, 0, false)
	f("go_goroutines -1\n", true, 0, false)
}

// The probe reads the count from a real pprof endpoint and a metrics endpoint, and refuses
// addresses off loopback.
func TestGoroutineProbe(t *testing.T) {
	addr := startHTTPServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/debug/pprof/goroutine":
			fmt.Fprint(w, "goroutine profile: total 12\n")
		case "/metrics":
			fmt.Fprint(w, "go_goroutines 34\n")
		default:
			http.NotFound(w, r)
		}
	})
	p, err := newGoroutineProbe("", addr)
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := p.count(); n != 12 || !ok {
		t.Fatalf("pprof: %d %v", n, ok)
	}
	if p, err = newGoroutineProbe("http://"+addr+"/metrics", ""); err != nil {
		t.Fatal(err)
	}
	if n, ok := p.count(); n != 34 || !ok {
		t.Fatalf("metrics: %d %v", n, ok)
	}
	if p, _ = newGoroutineProbe("http://"+addr+"/nothing", ""); p == nil {
		t.Fatal("no probe")
	} else if _, ok := p.count(); ok {
		t.Fatal("a 404 gave a count")
	}
	if p, err = newGoroutineProbe("", ""); p != nil || err != nil {
		t.Fatalf("no source: %v %v", p, err)
	}
	if _, err = newGoroutineProbe("http://10.0.0.1:9090/metrics", ""); !errors.Is(err, ErrNotLoopback) {
		t.Fatalf("off loopback: %v", err)
	}
	if _, err = newGoroutineProbe("https://127.0.0.1:9090/metrics", ""); !errors.Is(err, ErrBadFlag) {
		t.Fatalf("https: %v", err)
	}
}

func TestProcFDs(t *testing.T) {
	before, err := procFDs(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("/proc/self/stat")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if after, _ := procFDs(os.Getpid()); after != before+1 {
		t.Fatalf("fds %d after opening one, %d before", after, before)
	}
}
