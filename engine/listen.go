package engine

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"
)

// ErrAddressInUse: another socket (another densemcp included) is bound to
// the address. Without Config.ReusePort the server binds exclusively.
var ErrAddressInUse = errors.New("already in use")

// CheckListen reports, before anything starts, whether the server could
// listen on tcpAddr and httpAddr (either may be empty): each must be a
// host:port that resolves, the two must have different ports (the engine
// tells its transports apart by local port), and each must be free — it is
// bound for a moment (never listened on) and released. The error names the address:
// "address 127.0.0.1:8080 already in use".
//
// With reusePort the probe sets SO_REUSEPORT as the listeners will, so an
// address held by a server started with ReusePort too counts as free.
func CheckListen(tcpAddr, httpAddr string, reusePort bool) error {
	if tcpAddr == "" && httpAddr == "" {
		return errors.New("no address to serve")
	}
	for _, a := range []string{tcpAddr, httpAddr} {
		if a == "" {
			continue
		}
		if err := checkAddr(a); err != nil {
			return err
		}
	}
	if tcpAddr != "" && httpAddr != "" {
		_, pt, _ := net.SplitHostPort(tcpAddr)
		_, ph, _ := net.SplitHostPort(httpAddr)
		if pt == ph && pt != "0" {
			return fmt.Errorf("the TCP address %s and the HTTP address %s need different ports", tcpAddr, httpAddr)
		}
	}
	for _, a := range []string{tcpAddr, httpAddr} {
		if a == "" {
			continue
		}
		if err := probeListen(a, reusePort); err != nil {
			return err
		}
	}
	return nil
}

// checkAddr checks that addr is host:port with a port number and a host
// that resolves.
func checkAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("invalid address %q: %w", addr, err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("invalid address %q: port %q is not a number from 0 to 65535", addr, port)
	}
	if host != "" {
		if _, err := net.ResolveTCPAddr("tcp", addr); err != nil {
			return fmt.Errorf("invalid address %q: %w", addr, err)
		}
	}
	return nil
}

// probeListen binds addr for a moment, without listening: a client
// dialing it meanwhile is refused as it would be before the server
// started, never accepted by a socket about to close.
func probeListen(addr string, reusePort bool) error {
	err := bindProbe(addr, reusePort)
	if err == nil {
		return nil
	}
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("address %s %w", addr, ErrAddressInUse)
	}
	return fmt.Errorf("cannot listen on %s: %w", addr, err)
}
