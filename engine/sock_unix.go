//go:build unix

package engine

import "golang.org/x/sys/unix"

// shutdownWrite half-closes socket fd: the peer reads EOF after what was
// sent, while the server can still read.
func shutdownWrite(fd int) error { return unix.Shutdown(fd, unix.SHUT_WR) }

// setReusePort sets SO_REUSEPORT on socket fd, as gnet does on its
// listeners when Config.ReusePort is on.
func setReusePort(fd uintptr) error {
	return unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
}
