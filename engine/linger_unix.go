//go:build unix

package engine

import "syscall"

// shutdownWrite half-closes socket fd: the peer reads EOF after what was
// sent, while the server can still read.
func shutdownWrite(fd int) error { return syscall.Shutdown(fd, syscall.SHUT_WR) }
