package engine

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/densemcp/densemcp/router"
)

// A server restarted on its port right after the old one closed its
// connections (as a drain does) binds at once: the closed connections sit
// in TIME_WAIT on that port, and a listener without SO_REUSEADDR could not
// bind beside them for a minute. The bind stays exclusive
// (TestExclusiveBind).
func TestRestartOnThePortAfterClosingConnections(t *testing.T) {
	addr := freeAddr(t)
	serve := func() (*Server, chan error) {
		s := New(router.New(router.Implementation{Name: "rebind", Version: "1"}, router.Options{}), Config{}, nil)
		done := make(chan error, 1)
		go func() { done <- s.Serve("", addr) }()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.WaitStarted(ctx); err != nil {
			select {
			case err := <-done:
				t.Fatalf("serve on %s: %v", addr, err)
			default:
			}
			t.Fatal(err)
		}
		return s, done
	}
	s, done := serve()
	var conns []net.Conn
	for range 8 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	time.Sleep(100 * time.Millisecond) // let the loops take them
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	<-done
	// The server closed first; the clients' answering close leaves the
	// server's side of each in TIME_WAIT.
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.ReadAll(c); err != nil {
			t.Fatalf("the server did not close a connection: %v", err)
		}
		c.Close()
	}
	s2, done2 := serve()
	if err := s2.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	<-done2
}
