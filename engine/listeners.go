package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/panjf2000/gnet/v2"
	"github.com/panjf2000/gnet/v2/pkg/logging"
)

// Serving on listeners the caller made (systemd socket activation, a port
// bound before privileges were dropped, a test's ":0"). gnet v2.9.7 creates
// its listeners from addresses only, but it takes established connections
// (EventLoop.Enroll, through Engine.Register): it duplicates the socket's
// descriptor onto a loop and closes the original. So a goroutine accepts on
// each given listener and enrolls what it accepts. That needs raw sockets:
// a *net.TCPListener or *net.UnixListener. A TLS listener, or any wrapper
// whose connections are not plain sockets, cannot be served on the loops
// (gnet reads the descriptor itself); serve HTTP on it through net/http
// (NetHTTP) instead. gnet also refuses to start without a listener of its
// own, so it is given a Unix socket in a private temporary directory, whose
// connections are closed at once.

// ErrNotRawListener reports a listener whose connections the event loops
// cannot take over (not a *net.TCPListener or *net.UnixListener).
var ErrNotRawListener = errors.New("engine: the event loops serve only *net.TCPListener and *net.UnixListener (a TLS or wrapped listener: serve HTTP through net/http)")

// enrolled is the context gnet carries for a connection accepted on a
// given listener until OnOpen: which transport it speaks.
type enrolled struct{ http bool }

// RawListener reports whether the event loops can serve ln's connections.
func RawListener(ln net.Listener) bool {
	switch ln.(type) {
	case *net.TCPListener, *net.UnixListener:
		return true
	}
	return false
}

// ServeListeners serves NDJSON on the connections tcp accepts and
// Streamable HTTP on those http accepts (either may be nil), on the event
// loops, until Stop; it closes both listeners when it returns. It blocks.
func (s *Server) ServeListeners(tcp, http net.Listener) error {
	if tcp == nil && http == nil {
		return errors.New("engine: no listener to serve")
	}
	for _, ln := range []net.Listener{tcp, http} {
		if ln != nil && !RawListener(ln) {
			return ErrNotRawListener
		}
	}
	defer func() {
		if tcp != nil {
			_ = tcp.Close()
		}
		if http != nil {
			_ = http.Close()
		}
	}()
	if http != nil {
		addr := http.Addr().String()
		s.httpAddr = "" // no connection arrives on gnet's own listener for HTTP
		s.http = newHTTPState(s, addr)
	}
	dir, err := os.MkdirTemp("", "densemcp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	boot := "unix://" + filepath.Join(dir, "loops.sock")
	s.listenersOnly = true
	done := make(chan struct{})
	defer close(done)
	go s.acceptInto(tcp, false, done)
	go s.acceptInto(http, true, done)
	opts := []gnet.Option{
		gnet.WithNumEventLoop(s.cfg.Loops),
		// Registered connections go to the loop with the fewest.
		gnet.WithLoadBalancing(gnet.LeastConnections),
		gnet.WithTCPNoDelay(gnet.TCPNoDelay),
		gnet.WithLogLevel(logging.ErrorLevel),
		gnet.WithTicker(true),
		gnet.WithLogger(quietLogger{}),
	}
	s.startMonitor()
	err = gnet.Rotate(s, []string{boot}, opts...)
	if s.mon != nil {
		s.mon.stop() // Shutdown stops it too; Rotate may also fail to start
	}
	if err != nil {
		return fmt.Errorf("engine: cannot serve: %w", err)
	}
	return nil
}

// acceptInto accepts on ln (nil: nothing) and hands each connection to the
// loops, until ln is closed or the server stops.
func (s *Server) acceptInto(ln net.Listener, http bool, done <-chan struct{}) {
	if ln == nil {
		return
	}
	select {
	case <-s.started: // gnet's engine is up and its loops registered
	case <-done: // it did not start
		return
	}
	s.mu.Lock()
	eng := s.eng
	s.mu.Unlock()
	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return // the server stopped
			}
			// Out of descriptors (EMFILE, ENFILE, which are not
			// timeouts) and the like pass: back off as net/http does.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			time.Sleep(delay)
			continue
		}
		delay = 0
		if s.draining.Load() {
			_ = c.Close()
			continue
		}
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetNoDelay(true)
			_ = tc.SetKeepAlive(true)
			_ = tc.SetKeepAlivePeriod(time.Minute)
		}
		// Register duplicates c onto a loop (OnOpen then sees the marker)
		// and closes c; on failure it closes c too.
		if _, err := eng.Register(gnet.NewNetConnContext(gnet.NewContext(context.Background(), enrolled{http: http}), c)); err != nil {
			_ = c.Close()
			s.log.Debug("cannot hand a connection to the event loops", "err", err)
		}
	}
}
