package floorsrv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// ErrNotLoopback is returned for a listen address outside 127.0.0.0/8 and ::1.
var ErrNotLoopback = errors.New("floor server listens on loopback addresses only")

// Server is a running floor server with a TCP NDJSON and/or a Streamable HTTP listener.
type Server struct {
	// TCPAddr and HTTPAddr are the bound addresses ("" when not listening).
	TCPAddr, HTTPAddr string
	engines           []gnet.Engine
	done              []chan error
}

// Start listens on the given loopback addresses (either may be "", port 0 picks a free
// port) with the given number of event loops per listener, and returns once both listen.
func Start(tcpAddr, httpAddr string, loops int) (*Server, error) {
	s := &Server{}
	var err error
	if tcpAddr != "" {
		h := &lineHandler{}
		s.TCPAddr, err = s.run(tcpAddr, loops, func(b chan<- gnet.Engine) gnet.EventHandler { h.booted = b; return h })
		if err != nil {
			return nil, err
		}
	}
	if httpAddr != "" {
		h := &httpHandler{}
		s.HTTPAddr, err = s.run(httpAddr, loops, func(b chan<- gnet.Engine) gnet.EventHandler { h.booted = b; return h })
		if err != nil {
			_ = s.Stop()
			return nil, err
		}
	}
	return s, nil
}

func (s *Server) run(addr string, loops int, handler func(chan<- gnet.Engine) gnet.EventHandler) (string, error) {
	if err := requireLoopback(addr); err != nil {
		return "", err
	}
	booted := make(chan gnet.Engine, 1)
	done := make(chan error, 1)
	h := handler(booted)
	go func() {
		done <- gnet.Run(h, "tcp://"+addr, gnet.WithNumEventLoop(max(loops, 1)),
			gnet.WithReusePort(loops > 1), gnet.WithLogger(quietLogger{}))
	}()
	select {
	case eng := <-booted:
		s.engines = append(s.engines, eng)
		s.done = append(s.done, done)
		return boundAddr(eng)
	case err := <-done:
		return "", fmt.Errorf("floor server on %s: %w", addr, err)
	}
}

// boundAddr reads the listener's address (port 0 is resolved by the kernel).
func boundAddr(eng gnet.Engine) (string, error) {
	fd, err := eng.Dup()
	if err != nil {
		return "", err
	}
	defer unix.Close(fd)
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return "", err
	}
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port)).String(), nil
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(a.Addr), uint16(a.Port)).String(), nil
	}
	return "", errors.New("floor server: unexpected listener address type")
}

// Stop stops every listener and waits for the engines to end.
func (s *Server) Stop() error {
	var errs []error
	for i, eng := range s.engines {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := eng.Stop(ctx); err != nil {
			errs = append(errs, err)
		}
		cancel()
		<-s.done[i]
	}
	s.engines, s.done = nil, nil
	return errors.Join(errs...)
}

func requireLoopback(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("bad port in %q", addr)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.Unmap().IsLoopback() {
		return fmt.Errorf("%w: %q", ErrNotLoopback, addr)
	}
	return nil
}
