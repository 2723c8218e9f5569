package engine

import (
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// emfileListener fails its first Accept as a process out of descriptors
// does, then reports itself closed.
type emfileListener struct {
	net.Listener
	calls atomic.Int32
}

func (l *emfileListener) Accept() (net.Conn, error) {
	if l.calls.Add(1) == 1 {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	return nil, net.ErrClosed
}

// Running out of descriptors for a moment (EMFILE, ENFILE) must not end
// the accept loop: it used to stop at any error that was not a timeout,
// and the server went on running without ever accepting again.
func TestAcceptSurvivesTransientError(t *testing.T) {
	s := &Server{started: make(chan struct{})}
	close(s.started)
	ln := &emfileListener{}
	done := make(chan struct{})
	ended := make(chan struct{})
	go func() { s.acceptInto(ln, false, done); close(ended) }()
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the accept loop did not end when its listener closed")
	}
	if n := ln.calls.Load(); n != 2 {
		t.Fatalf("Accept called %d times, want 2: the loop must retry after EMFILE", n)
	}
}
