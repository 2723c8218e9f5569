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
// go idle: it yields once, and if neither an event nor a task is pending
// it waits for one itself instead of letting gnet block, parked in Go's
// netpoller on a dup of gnet's epoll descriptor. Parked, it holds no P, so
// timers fire, handlers run and their sockets are polled.
//
// A park and its wake-up take a trip through Go's scheduler and wake its
// monitor, which on one core can cost as much CPU as serving a request.
// So when the last wait was ended by a socket (not by a handler's answer)
// within idleSpin, requests are arriving, and the loop first waits in
// poll(2) on gnet's descriptor for up to idleSpin, keeping its P as gnet's
// own wait would; Go's monitor takes the P from a poll that lasts if
// goroutines need it. A wait that a handler's answer ended parks next
// time, so handlers that would end it do not wait for the P. (HTTP echo
// at 10,000 calls/s on one core beside one blocking call held open: 58 µs
// of CPU a call parking every time, 24.5 µs polling first, 21 µs before
// idle loops parked at all.)
//
// Any event for the loop ends the wait: a socket's, and a task queued by
// any goroutine (a handler's answer, a new connection, a stop), since
// gnet writes its eventfd, which is in that epoll set, when a task is
// queued while its wake-up flag is clear. gnet sets the flag when it is
// woken for tasks and clears it after their round, so inside the round,
// where the check runs, a newly queued task would not write the eventfd:
// the check clears the flag itself before it looks at the task queues and
// waits (gnet clears it after the round in the same way; a task queued
// meanwhile then costs one spare eventfd write and round, never a lost
// task). idleParkMax bounds a park all the same. After a wait that a task
// ended, or that timed out, the check queues itself again; after one a
// socket ended, that socket's traffic queues it (as every pass does, and
// a close, and the kicker's and lingering connections' traffic).
//
// The first version parked in the traffic of the loop's kicker
// (fairshare.go), outside the round of tasks, so the flag was gnet's
// alone; each park also cost a byte written to the kicker and read back
// and one more pass.
//
// gnet v2.9.7 exposes neither its epoll descriptor and eventfd, the
// wake-up flag nor the task queues; they are read by reflection once per
// loop, the flag then with atomic loads and stores. A loop that cannot
// find them keeps gnet's blocking wait.

// idleParkMax bounds one park. A variable for tests, which make it long so
// that a missed wake-up hangs the test instead of passing as latency.
var idleParkMax = 100 * time.Millisecond

// idleSpin is how long an idle loop whose last wait a socket ended polls
// before it parks. A variable for tests.
var idleSpin = time.Millisecond

// maxIdleRequeues bounds the checks one round of tasks queues for itself.
const maxIdleRequeues = 2

// idler is one loop's parking state. Loop goroutine only, but parks,
// parking and polling (read by tests).
type idler struct {
	setUp, ok bool
	f         *os.File // a dup of gnet's epoll descriptor, in Go's netpoller
	rc        syscall.RawConn
	pfd       [1]unix.PollFd
	g         gnetFields
	evs       [2]unix.EpollEvent
	wake      func(uintptr) bool
	task      gnet.RunnableFunc
	el        gnet.EventLoop
	queued    bool          // the check is queued on the loop
	requeues  int           // checks queued by checks since the last pass or park
	parks     atomic.Uint64 // parks so far (the netpoller waited)
	parking   atomic.Bool   // parked now
	spin      bool          // poll before parking: a socket ended the last wait, soon
	polling   atomic.Bool   // in the poll before a park
}

// taskQueue is what the idle check needs of gnet's task queues.
type taskQueue interface{ IsEmpty() bool }

// gnetFields are the parts of a gnet loop's poller the idle check uses.
type gnetFields struct {
	epfd, efd int          // its epoll descriptor and eventfd
	wakeup    *int32       // "eventfd written, tasks not yet run"
	queues    [2]taskQueue // urgent and ordinary tasks
}

// gnetPoller finds gnet loop el's poller fields.
func gnetPoller(el gnet.EventLoop) (gnetFields, bool) {
	var g gnetFields
	v := reflect.ValueOf(el)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return g, false
	}
	p := v.Elem().FieldByName("poller")
	if !p.IsValid() || p.Kind() != reflect.Pointer || p.IsNil() || p.Elem().Kind() != reflect.Struct {
		return g, false
	}
	p = p.Elem()
	fd, efd, w := p.FieldByName("fd"), p.FieldByName("efd"), p.FieldByName("wakeupCall")
	if !fd.IsValid() || fd.Kind() != reflect.Int || !efd.IsValid() || efd.Kind() != reflect.Int ||
		!w.IsValid() || w.Kind() != reflect.Int32 {
		return g, false
	}
	for i, name := range [2]string{"urgentAsyncTaskQueue", "asyncTaskQueue"} {
		f := p.FieldByName(name)
		if !f.IsValid() || f.Kind() != reflect.Interface {
			return g, false
		}
		// An unexported field: read through a pointer to it.
		q, ok := reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Interface().(taskQueue)
		if !ok || q == nil {
			return g, false
		}
		g.queues[i] = q
	}
	g.epfd, g.efd = int(fd.Int()), int(efd.Int())
	g.wakeup = (*int32)(unsafe.Pointer(w.UnsafeAddr()))
	return g, true
}

// setupIdle prepares l's parking on gnet loop el. Loop goroutine.
func (l *loop) setupIdle(el gnet.EventLoop) {
	id := &l.idle
	id.setUp = true
	g, ok := gnetPoller(el)
	if !ok {
		l.srv.log.Warn("idle loops keep their P: gnet's poller fields were not found")
		return
	}
	dup, err := unix.FcntlInt(uintptr(g.epfd), unix.F_DUPFD_CLOEXEC, 0)
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
	id.f, id.rc, id.g, id.el = f, rc, g, el
	id.pfd[0] = unix.PollFd{Fd: int32(g.epfd), Events: unix.POLLIN}
	id.wake = id.parkCheck
	id.task = l.idleCheck
	id.ok = true
}

// eventsPending reports whether gnet's epoll set has an event ready,
// without taking it.
func (id *idler) eventsPending() bool {
	id.pfd[0].Revents = 0
	n, err := unix.Poll(id.pfd[:], 0)
	return n > 0 || (err != nil && err != unix.EINTR)
}

// parkCheck is the check Read makes before it waits and each time the
// netpoller reports the descriptor readable: true ends the park, false
// lets it wait (and marks the loop parked). The first check needs no
// poll(2): idleCheck has just looked.
func (id *idler) parkCheck(uintptr) bool {
	if atomic.LoadInt32(id.g.wakeup) != 0 || (id.parking.Load() && id.eventsPending()) {
		return true
	}
	id.parking.Store(true)
	return false
}

// socketsReady takes gnet's ready events without blocking and reports
// whether any is not its eventfd. gnet's sockets are level-triggered, so
// epoll puts those back for gnet's next wait; the eventfd is edge-
// triggered and is taken: its edge may be stale (written for a task this
// round has already run), and a stale edge would make every later look
// see an event pending and the loop never park. One that is not stale
// set the wake-up flag, which the caller checks next.
func (id *idler) socketsReady() bool {
	n, err := unix.EpollWait(id.g.epfd, id.evs[:], 0)
	if err != nil {
		return err != unix.EINTR
	}
	for i := range n {
		if int(id.evs[i].Fd) != id.g.efd {
			return true
		}
	}
	return false
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
	id.requeues = 0
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

// idleCheck runs after a pass, in gnet's round of tasks: if the loop
// still has blocking calls, it yields once and, unless an event or a task
// is pending, waits for one (polling first if a socket ended the last wait
// soon, then parked). Loop goroutine, as a task.
func (l *loop) idleCheck(context.Context) error {
	id := &l.idle
	id.queued = false
	if !id.ok || l.srv.r.Pending(l.shard) == 0 {
		return nil
	}
	if id.requeues == 0 {
		// Once a pass: a check queued by a check does not yield again,
		// or a round could hand the handlers several turns before the
		// loop reads its sockets once.
		runtime.Gosched()
	}
	// From here a task queued by another goroutine writes gnet's eventfd.
	atomic.StoreInt32(id.g.wakeup, 0)
	tasks := !id.g.queues[0].IsEmpty() || !id.g.queues[1].IsEmpty()
	sockets := false
	if !tasks {
		sockets = id.socketsReady()
		tasks = atomic.LoadInt32(id.g.wakeup) != 0 // one queued since
	}
	if tasks {
		// They run after this check, in this round, so the flag may be
		// set again (no eventfd write needed). Check again after them,
		// but not over and over: a stream of answers would keep the
		// round going while sockets wait; past a few, the check follows
		// the next pass (the kicker's).
		atomic.StoreInt32(id.g.wakeup, 1)
		if id.requeues++; id.requeues <= maxIdleRequeues || !l.kickNext(id.el) {
			l.queueIdleCheck() // (also while the kicker is being set up)
		}
		return nil
	}
	if sockets {
		return nil // gnet's next pass: its traffic queues the check
	}
	woke := false
	t0 := time.Now()
	if id.spin {
		ts := unix.NsecToTimespec(int64(idleSpin))
		id.pfd[0].Revents = 0
		id.polling.Store(true)
		n, _ := unix.Ppoll(id.pfd[:], &ts, nil)
		id.polling.Store(false)
		woke = n > 0
	}
	if !woke {
		// Read makes the check before it waits and again each time the
		// netpoller reports the descriptor readable.
		_ = id.f.SetReadDeadline(t0.Add(idleParkMax))
		woke = id.rc.Read(id.wake) == nil
		if id.parking.Swap(false) {
			id.parks.Add(1)
		}
	}
	task := atomic.LoadInt32(id.g.wakeup) != 0
	// Poll next time only if a socket, not a task, ended this wait, and
	// soon: requests are arriving. A wait a handler's answer ends must
	// park, or the handlers that would end it wait for the P.
	id.spin = woke && !task && time.Since(t0) < idleSpin
	id.requeues = 0
	// What ended the wait: a task (the flag is set: check again after
	// it, in this round, at no cost), a socket (its traffic queues the
	// check) or the deadline (check again).
	if !woke || task {
		l.queueIdleCheck()
	}
	return nil
}

// closeIdle closes the dup (gnet's descriptor stays gnet's).
func (l *loop) closeIdle() {
	if id := &l.idle; id.f != nil {
		id.ok = false
		_ = id.f.Close()
		id.f = nil
	}
}
