package densemcp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/densemcp/densemcp/engine"
)

// ServeListeners serves MCP on listeners the program already has — from
// systemd socket activation, bound before dropping privileges, or a test's
// ":0" — until ctx is done: newline-delimited JSON on tcp and Streamable
// HTTP on http (either may be nil). It closes both when it returns.
//
// A *net.TCPListener or *net.UnixListener is served on the event loops:
// gnet (v2.9.7) binds only addresses of its own, but it takes over
// accepted connections, so each one is handed to a loop. Any other
// listener — a tls.Listener, a wrapper — yields connections that are not
// plain sockets, which the loops cannot read: an HTTP one is served
// through net/http (Handler, the compatible path), a TCP one is refused
// with ErrNotRawListener.
func (s *Server) ServeListeners(ctx context.Context, tcp, http net.Listener) error {
	if tcp != nil && !engine.RawListener(tcp) {
		return fmt.Errorf("NDJSON listener %T: %w", tcp, ErrNotRawListener)
	}
	if http != nil && !engine.RawListener(http) {
		stop, err := s.serveNetHTTP(http)
		if err != nil {
			return err
		}
		defer stop()
		if tcp == nil {
			<-ctx.Done()
			return ctx.Err()
		}
		http = nil
	}
	if tcp == nil && http == nil {
		return errors.New("densemcp: no listener to serve")
	}
	return s.serveLoops(ctx, http != nil, func(e *engine.Server) error { return e.ServeListeners(tcp, http) })
}

// ErrNotRawListener reports a listener the event loops cannot serve (not a
// *net.TCPListener or *net.UnixListener).
var ErrNotRawListener = engine.ErrNotRawListener

// serveNetHTTP serves Handler on ln with an http.Server of its own until
// the returned stop is called (counted as serving: Ready, the admin
// listener).
func (s *Server) serveNetHTTP(ln net.Listener) (stop func(), err error) {
	draining, served, err := s.servingNetHTTP()
	if err != nil {
		return nil, err
	}
	hs := &http.Server{Handler: s.netHTTP(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.opts.Logger.Error("net/http server stopped", "err", err)
		}
	}()
	return func() {
		grace := s.opts.Engine.DrainTimeout
		if grace <= 0 {
			grace = engine.DefaultDrainTimeout
		}
		ctx, cancel := context.WithTimeout(context.Background(), grace)
		defer cancel()
		draining()
		_ = hs.Shutdown(ctx)
		<-done
		served()
	}, nil
}
