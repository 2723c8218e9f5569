//go:build unix

package engine

import (
	"net"

	"golang.org/x/sys/unix"
)

// shutdownWrite half-closes socket fd: the peer reads EOF after what was
// sent, while the server can still read.
func shutdownWrite(fd int) error { return unix.Shutdown(fd, unix.SHUT_WR) }

// setReusePort sets SO_REUSEPORT on socket fd, as gnet does on its
// listeners when Config.ReusePort is on.
func setReusePort(fd uintptr) error {
	return unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
}

// bindProbe binds a TCP socket to addr as the server's listener will be
// bound (SO_REUSEADDR, and SO_REUSEPORT with reusePort), then closes it,
// never calling listen(2). On Linux the bind fails with EADDRINUSE while
// another socket listens there. A host-less address (":7070") is probed
// on the IPv6 wildcard, dual-stack, as Go listens on it; on the IPv4 one
// where IPv6 is missing.
func bindProbe(addr string, reusePort bool) error {
	ta, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return err
	}
	family, sa := unix.AF_INET6, unix.Sockaddr(nil)
	switch ip4 := ta.IP.To4(); {
	case ip4 != nil && !ta.IP.IsUnspecified():
		a := &unix.SockaddrInet4{Port: ta.Port}
		copy(a.Addr[:], ip4)
		family, sa = unix.AF_INET, a
	case ta.IP == nil || ta.IP.IsUnspecified():
		sa = &unix.SockaddrInet6{Port: ta.Port}
	default:
		a := &unix.SockaddrInet6{Port: ta.Port}
		copy(a.Addr[:], ta.IP.To16())
		if ta.Zone != "" {
			ifi, err := net.InterfaceByName(ta.Zone)
			if err != nil {
				return err
			}
			a.ZoneId = uint32(ifi.Index)
		}
		sa = a
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err == unix.EAFNOSUPPORT && family == unix.AF_INET6 && ta.IP.To4() != nil {
		// No IPv6: a wildcard is the IPv4 one.
		family, sa = unix.AF_INET, &unix.SockaddrInet4{Port: ta.Port}
		fd, err = unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	}
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if family == unix.AF_INET6 && (ta.IP == nil || ta.IP.IsUnspecified()) {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0); err != nil {
			return err
		}
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return err
	}
	if reusePort {
		if err := setReusePort(uintptr(fd)); err != nil {
			return err
		}
	}
	if err := unix.Bind(fd, sa); err != nil {
		return err
	}
	if probeBound != nil {
		probeBound()
	}
	return nil
}

// probeBound, when set (tests), runs while bindProbe holds the address.
var probeBound func()
