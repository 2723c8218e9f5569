//go:build linux

package perf

import (
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// poller waits on an epoll set with a nanosecond timeout. Open-loop pacing needs better
// than epoll_wait's milliseconds: epoll_pwait2 (Linux 5.11+) takes a timespec; on older
// kernels it falls back to milliseconds, rounded up. This file and uring_linux.go are the
// package's only unsafe code.
type poller struct {
	epfd    int
	ts      unix.Timespec
	noWait2 bool
}

func newPoller() (*poller, error) {
	fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	return &poller{epfd: fd}, nil
}

// wait blocks until an event or timeout; EINTR is reported as zero events.
func (p *poller) wait(events []unix.EpollEvent, timeout time.Duration) (int, error) {
	if timeout < 0 {
		timeout = 0
	}
	if !p.noWait2 {
		p.ts = unix.NsecToTimespec(int64(timeout))
		r, _, e := unix.Syscall6(unix.SYS_EPOLL_PWAIT2, uintptr(p.epfd),
			uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)),
			uintptr(unsafe.Pointer(&p.ts)), 0, 0)
		switch e {
		case 0:
			return int(r), nil
		case unix.EINTR:
			return 0, nil
		case unix.ENOSYS:
			p.noWait2 = true
		default:
			return 0, e
		}
	}
	ms := int((timeout + time.Millisecond - 1) / time.Millisecond)
	n, err := unix.EpollWait(p.epfd, events, ms)
	if err == unix.EINTR {
		return 0, nil
	}
	return n, err
}

func (p *poller) add(fd int, idx int32, events uint32) error {
	return unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: events, Fd: int32(fd), Pad: idx})
}

func (p *poller) mod(fd int, idx int32, events uint32) error {
	return unix.EpollCtl(p.epfd, unix.EPOLL_CTL_MOD, fd, &unix.EpollEvent{Events: events, Fd: int32(fd), Pad: idx})
}

func (p *poller) del(fd int) { _ = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, fd, nil) }

func (p *poller) close() { _ = unix.Close(p.epfd) }
