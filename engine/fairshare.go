package engine

import (
	"context"
	"net"
	"os"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// Fair share. A loop serves at most MessagesPerPass messages of one
// connection per pass; what is left waits for the loop's next pass, after
// every other connection that became readable meanwhile has had its turn.
// So one client pipelining thousands of requests costs its neighbours on
// the loop one budget's worth of latency, not thousands of requests'.
//
// gnet has no call for "come back to this connection next time round":
// Wake posts a task that runs in the same round of tasks when posted from
// one (so a pass that wakes itself runs again before any socket is
// polled). Each loop therefore gets a kicker, one end of a socketpair
// enrolled in the loop like a connection: a deferred connection is
// queued on the loop, one byte written to the other end makes the
// kicker readable in the loop's next poll, and its traffic resumes the
// queued connections, each for one more budget. A loop enrolls its
// kicker the first time it defers a pass (until gnet has registered it,
// passes fall back to Wake), so a loop that never needs one does not
// count one more connection in gnet's balancing of new connections.

// DefaultMessagesPerPass is the default per-connection budget of one pass.
// 64 messages are well under a millisecond of work for cheap tools, and
// more than a polite client has in one read.
const DefaultMessagesPerPass = 64

// kicker is the self-wakeup of one loop. Loop goroutine only, but fd,
// written from the loop too.
type kicker struct {
	enrolled bool      // setupKicker ran
	fd       int       // our end; -1 when not set up
	c        gnet.Conn // the loop's end, once enrolled
	armed    bool      // a byte is waiting in the socket
	backlog  []deferrable
	spare    []deferrable
}

// deferrable is a connection whose pass can be cut by the budget.
type deferrable interface {
	// resumePass runs one more pass, unless the connection is gone.
	resumePass()
}

// kickConn marks the loop's end of a kicker in gnet's connection context.
type kickConn struct{ l *loop }

// setupKicker creates l's kicker and enrolls its loop end in el; until
// gnet has registered it, deferred connections fall back to Wake.
func (l *loop) setupKicker(el gnet.EventLoop) {
	l.kick.enrolled = true
	l.kick.fd = -1
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		l.srv.log.Warn("fair share: cannot create the loop's kicker; deferred passes use Wake", "err", err)
		return
	}
	f := os.NewFile(uintptr(fds[1]), "kicker")
	nc, err := net.FileConn(f) // dups the fd
	_ = f.Close()
	if err != nil {
		_ = unix.Close(fds[0])
		l.srv.log.Warn("fair share: cannot create the loop's kicker; deferred passes use Wake", "err", err)
		return
	}
	// Enroll dups the fd into the loop and closes nc; OnOpen binds it.
	if _, err := el.Enroll(gnet.NewContext(context.Background(), &kickConn{l: l}), nc); err != nil {
		_ = nc.Close()
		_ = unix.Close(fds[0])
		return
	}
	l.kick.fd = fds[0]
}

// closeKicker closes our end (the loop's end goes with the loop). A loop
// that never set its kicker up has nothing to close: its fd is the zero
// value, which is not -1 but descriptor 0, and closing that (then whatever
// reused number 0, a client's socket or another engine's epoll) broke
// connections and engines that were not this loop's.
func (l *loop) closeKicker() {
	if l.kick.enrolled && l.kick.fd >= 0 {
		_ = unix.Close(l.kick.fd)
		l.kick.fd = -1
	}
}

// deferPass queues d (whose gnet connection is c) for the loop's next
// pass and reports true; without a kicker it wakes c instead and reports
// false (then the pass runs again in this round: fairness is best effort
// until gnet has registered the kicker). Loop goroutine.
func (l *loop) deferPass(d deferrable, c gnet.Conn) bool {
	l.srv.r.LoopStats(l.shard).Deferred.Inc()
	if !l.kickNext(c.EventLoop()) {
		_ = c.Wake(nil)
		return false
	}
	l.kick.backlog = append(l.kick.backlog, d)
	return true
}

// kickNext arms the kicker of the loop (gnet loop el), setting it up on
// first use, and reports whether it is armed. Loop goroutine.
func (l *loop) kickNext(el gnet.EventLoop) bool {
	k := &l.kick
	if k.c == nil || k.fd < 0 {
		if !k.enrolled {
			l.setupKicker(el)
		}
		return false
	}
	if !k.armed {
		var b = [1]byte{1}
		if _, err := unix.Write(k.fd, b[:]); err != nil && err != unix.EAGAIN {
			return false
		}
		k.armed = true
	}
	return true
}

// kicked runs when the kicker is readable: one more pass for every
// connection deferred since the last one. Loop goroutine.
func (l *loop) kicked(c gnet.Conn) {
	_, _ = c.Discard(-1)
	k := &l.kick
	k.armed = false
	todo := k.backlog
	k.backlog = k.spare[:0]
	for _, d := range todo {
		d.resumePass()
	}
	clear(todo)
	k.spare = todo[:0]
}

func (cn *conn) resumePass() {
	cn.deferred = false
	if cn.gone || cn.closing {
		return
	}
	if cn.l.srv.trafficLines(cn) == gnet.Close {
		_ = cn.c.Close()
	}
}

func (hc *httpConn) resumePass() {
	hc.deferred = false
	if hc.gone || hc.closing {
		return
	}
	if hc.l.srv.trafficHTTP(hc) == gnet.Close {
		_ = hc.c.Close()
	}
}
