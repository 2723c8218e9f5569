package engine

import (
	"context"
	"os"
	"reflect"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// Parking an idle loop off its P. A gnet loop that finds no events blocks
// in epoll_wait(2) as a raw system call and keeps its P while it does.
// When every P is held by a loop (one core: one loop, GOMAXPROCS=1), the
// goroutines the loop handed work to (blocking handlers, and handlers
// waiting on a timer or a socket once it fires) run only when the
// runtime's monitor takes the P back from the system call, after 20 µs
// to 20 ms depending on how idle the monitor has been, or when a new
// request wakes the loop. With `work {"waitMillis":20}` on one core and
// every HTTP connection busy (twice capacity offered), an execution trace
// showed the loop blocked in epoll_wait with goroutines runnable for 160
// ms of each second; the median call took 42 ms instead of 20, and
// goodput was 72% of capacity.
//
// So a loop with blocking calls running or queued checks, after each pass
// (a task, which gnet runs after a pass's events), whether it is about to
// go idle: it yields once, and if no event is pending it arms its kicker
// (fairshare.go). The kicker's traffic, in the next pass and outside gnet's
// round of tasks, parks the loop goroutine in Go's netpoller on gnet's
// epoll descriptor instead of letting gnet block: parked, it holds no P,
// so timers fire, handlers run and their sockets are polled. Any event for
// the loop ends the park: a socket's, and a task queued by any goroutine
// (a handler's answer, a new connection, a stop), since gnet writes its
// eventfd, which is in that epoll set, when a task is queued while its
// wake-up flag is clear. The loop parks only when the flag is clear, so no
// queued task can be missed; idleParkMax bounds a park all the same.
//
// gnet v2.9.7 exposes neither its epoll descriptor nor the wake-up flag;
// both are read by reflection once per loop, the flag then with an atomic
// load. A loop that cannot find them keeps gnet's blocking wait.

// idleParkMax bounds one park. A variable for tests, which make it long so
// that a missed wake-up hangs the test instead of passing as latency.
var idleParkMax = 100 * time.Millisecond

// idler is one loop's parking state. Loop goroutine only, but parks and
// parking (read by tests).
type idler struct {
	setUp, ok bool
	f         *os.File // a dup of gnet's epoll descriptor, in Go's netpoller
	rc        syscall.RawConn
	pfd       [1]unix.PollFd
	wakeup    *int32 // gnet's "eventfd written, tasks not yet run" flag
	wake      func(uintptr) bool
	task      gnet.RunnableFunc
	el        gnet.EventLoop
	queued    bool          // the check is queued on the loop
	parks     atomic.Uint64 // parks so far
	parking   atomic.Bool   // parked now
}

// gnetPoller returns the epoll descriptor of gnet loop el and the address
// of its wake-up flag.
func gnetPoller(el gnet.EventLoop) (int, *int32, bool) {
	v := reflect.ValueOf(el)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return 0, nil, false
	}
	p := v.Elem().FieldByName("poller")
	if !p.IsValid() || p.Kind() != reflect.Pointer || p.IsNil() || p.Elem().Kind() != reflect.Struct {
		return 0, nil, false
	}
	fd, w := p.Elem().FieldByName("fd"), p.Elem().FieldByName("wakeupCall")
	if !fd.IsValid() || fd.Kind() != reflect.Int || !w.IsValid() || w.Kind() != reflect.Int32 {
		return 0, nil, false
	}
	return int(fd.Int()), (*int32)(unsafe.Pointer(w.UnsafeAddr())), true
}

// setupIdle prepares l's parking on gnet loop el. Loop goroutine.
func (l *loop) setupIdle(el gnet.EventLoop) {
	id := &l.idle
	id.setUp = true
	epfd, wakeup, ok := gnetPoller(el)
	if !ok {
		l.srv.log.Warn("idle loops keep their P: gnet's poller fields were not found")
		return
	}
	dup, err := unix.FcntlInt(uintptr(epfd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		l.srv.log.Warn("idle loops keep their P", "err", err)
		return
	}
	// Non-blocking, so that os.NewFile puts it in Go's netpoller. The flag
	// belongs to the open file, so gnet's descriptor has it too, which
	// changes nothing for epoll_wait.
	if err := unix.SetNonblock(dup, true); err != nil {
		_ = unix.Close(dup)
		l.srv.log.Warn("idle loops keep their P", "err", err)
		return
	}
	f := os.NewFile(uintptr(dup), "gnet-epoll")
	rc, err := f.SyscallConn()
	if err != nil {
		_ = f.Close()
		l.srv.log.Warn("idle loops keep their P", "err", err)
		return
	}
	id.f, id.rc, id.wakeup, id.el = f, rc, wakeup, el
	id.pfd[0] = unix.PollFd{Fd: int32(epfd), Events: unix.POLLIN}
	id.wake = id.wakeable
	id.task = l.idleCheck
	id.ok = true
	if !l.kick.enrolled {
		l.setupKicker(el) // parks start once it is registered
	}
}

// eventsPending reports whether gnet's epoll set has an event ready,
// without taking it.
func (id *idler) eventsPending() bool {
	id.pfd[0].Revents = 0
	n, err := unix.Poll(id.pfd[:], 0)
	return n > 0 || (err != nil && err != unix.EINTR)
}

// wakeable ends a park: gnet has tasks queued or an event is ready.
func (id *idler) wakeable(uintptr) bool {
	return atomic.LoadInt32(id.wakeup) != 0 || id.eventsPending()
}

// armIdle queues the idle check after this pass, unless one is queued,
// while the loop has blocking calls. Loop goroutine, after traffic.
func (l *loop) armIdle(c gnet.Conn) {
	id := &l.idle
	if id.queued || l.srv.r.Pending(l.shard) == 0 {
		return
	}
	if !id.setUp {
		l.setupIdle(c.EventLoop())
	}
	l.queueIdleCheck()
}

// queueIdleCheck queues the idle check as a task of the loop.
func (l *loop) queueIdleCheck() {
	id := &l.idle
	if !id.ok || id.queued {
		return
	}
	id.queued = true
	if id.el.Execute(context.Background(), id.task) != nil {
		id.queued = false
	}
}

// idleCheck runs after a pass: if the loop still has blocking calls, it
// yields once and, if no event came meanwhile, arms the kicker, whose
// traffic parks the loop (parkIdle). Not here: gnet runs this inside its
// round of tasks, with its wake-up flag set, so a task queued during a
// park here would not end it. Loop goroutine, as a task.
func (l *loop) idleCheck(context.Context) error {
	id := &l.idle
	id.queued = false
	if l.srv.r.Pending(l.shard) == 0 {
		return nil
	}
	runtime.Gosched()
	if !id.eventsPending() {
		l.kickNext(id.el)
	}
	return nil
}

// parkIdle parks the loop until an event or a task is ready, if it has
// blocking calls and neither is, then queues the next idle check. Loop
// goroutine, from the kicker's traffic.
func (l *loop) parkIdle() {
	id := &l.idle
	if !id.ok || l.srv.r.Pending(l.shard) == 0 {
		return
	}
	if !id.wakeable(0) {
		_ = id.f.SetReadDeadline(time.Now().Add(idleParkMax))
		id.parking.Store(true)
		_ = id.rc.Read(id.wake)
		id.parking.Store(false)
		id.parks.Add(1)
	}
	l.queueIdleCheck()
}

// closeIdle closes the dup (gnet's descriptor stays gnet's).
func (l *loop) closeIdle() {
	if id := &l.idle; id.f != nil {
		id.ok = false
		_ = id.f.Close()
		id.f = nil
	}
}
