//go:build linux

package perf

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestURingShortSendResumes checks that when the kernel takes only part of a send, the rest
// goes next and nothing is sent twice. The kernel rarely cuts a send on a stream socket (it
// retries itself), so the short count is fed to the completion handler by hand.
func TestURingShortSendResumes(t *testing.T) {
	if r, err := newURing(); err != nil {
		t.Skipf("io_uring not tested here: %v", err)
	} else {
		r.close()
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[1])
	cfg := &Config{Target: TargetTCP, Conns: 1, Depth: 1, sockaddr: &unix.SockaddrInet4{}}
	w, err := newWorker(cfg, IOURing, 1, 1, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	c := w.conns[0]
	c.fd, c.phase = fds[0], phaseReady
	w.startRing()
	if w.ring == nil {
		t.Fatal("no ring")
	}
	c.wbuf = append(c.wbuf[:0], "hello, world"...)
	c.sending = true
	c.sent(5) // the kernel took "hello"
	if !c.sending {
		t.Fatal("send marked done after 5 of 12 bytes")
	}
	w.pass(time.Second) // submits the rest; its completion arrives in this pass
	if c.sending || c.woff != 12 {
		t.Fatalf("after the rest: sending=%v woff=%d", c.sending, c.woff)
	}
	got := make([]byte, 64)
	n, err := unix.Read(fds[1], got)
	if err != nil || string(got[:n]) != ", world" {
		t.Fatalf("peer read %q, %v; want the rest only", got[:n], err)
	}
}
