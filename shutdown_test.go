package densemcp_test

import (
	"bufio"
	"context"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/densemcp/densemcp"
)

// Shutdown closes what the server opened and nothing else: a loop that
// never deferred a pass has no fair-share kicker, and closing the zero
// value of its descriptor closed the process's stdin (then whatever reused
// descriptor 0 — a test's output pipe, a client's socket).
func TestShutdownLeavesOtherDescriptorsOpen(t *testing.T) {
	// Descriptor 0 becomes a pipe of this test's own, which nothing else
	// would open again if it were closed (stdin is often /dev/null, which
	// the runtime may reopen onto 0).
	saved, err := syscall.Dup(0)
	if err != nil {
		t.Skipf("no descriptor 0 to watch: %v", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Dup3(int(r.Fd()), 0, 0); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = syscall.Dup3(saved, 0, 0)
		_ = syscall.Close(saved)
		r.Close()
		w.Close()
	}()
	var before, after syscall.Stat_t
	if err := syscall.Fstat(0, &before); err != nil {
		t.Fatal(err)
	}
	s := densemcp.NewServer(densemcp.Implementation{Name: "fds", Version: "1"}, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.ServeListeners(context.Background(), ln, nil) }()
	waitFor(t, "serving", func() bool { return s.Ready() == nil })
	// A connection, so that a loop is set up (and closed down).
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(`{"jsonrpc":"2.0","id":1,"method":"ping"}` + "\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := bufio.NewReader(c).ReadBytes('\n'); err != nil {
		t.Fatalf("no answer to ping: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-served; err != nil {
		t.Fatalf("serving returned %v", err)
	}
	if err := syscall.Fstat(0, &after); err != nil {
		t.Fatalf("descriptor 0 after Shutdown: %v", err)
	}
	if after.Dev != before.Dev || after.Ino != before.Ino {
		t.Fatalf("descriptor 0 is another file after Shutdown")
	}
}
