//go:build linux

package perf

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"golang.org/x/sys/unix"
)

// loopbackSockaddr checks that addr is a loopback host:port and returns the socket address
// to connect to. It resolves nothing: the host must be an IP literal in 127.0.0.0/8, ::1,
// or the word "localhost" (taken as 127.0.0.1), so a typo can never send load off-machine.
func loopbackSockaddr(addr string) (unix.Sockaddr, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrBadAddress, addr, err)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil || port == 0 {
		return nil, fmt.Errorf("%w: %q: bad port", ErrBadAddress, addr)
	}
	if host == "localhost" {
		return &unix.SockaddrInet4{Port: int(port), Addr: [4]byte{127, 0, 0, 1}}, nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || ip.Zone() != "" {
		return nil, fmt.Errorf("%w: %q", ErrNotLoopback, addr)
	}
	ip = ip.Unmap()
	if !ip.IsLoopback() {
		return nil, fmt.Errorf("%w: %q", ErrNotLoopback, addr)
	}
	if ip.Is4() {
		return &unix.SockaddrInet4{Port: int(port), Addr: ip.As4()}, nil
	}
	return &unix.SockaddrInet6{Port: int(port), Addr: ip.As16()}, nil
}
