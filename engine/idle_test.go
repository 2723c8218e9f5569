package engine

import (
	"bufio"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/densemcp/densemcp/router"
	"github.com/panjf2000/gnet/v2"
)

// A loop with a blocking call running and no traffic parks off its P, and
// wakes for a new connection and its traffic, and for the call's answer.
// Parks are made an hour long and the periodic sweeps (tasks that would
// end a park too) are off, so a wake-up that does not happen hangs the
// test (its reads time out) instead of passing as a little latency.
func TestIdleLoopParksAndWakes(t *testing.T) {
	defer func(d time.Duration) { idleParkMax = d }(idleParkMax)
	idleParkMax = time.Hour
	sweepsOff.Store(true)
	defer sweepsOff.Store(false)
	release := make(chan struct{})
	s, addr := startIdleServer(t, release)
	parked := func(what string) uint64 {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
			if l := s.loopByIndex(0); l != nil && l.idle.parking.Load() {
				return l.idle.parks.Load()
			}
			if time.Now().After(deadline) {
				t.Fatalf("the loop did not park %s", what)
			}
		}
	}

	a := dial(t, addr)
	ar := bufio.NewReader(a)
	_, _ = a.Write([]byte(initLines + `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"wait","arguments":{}}}` + "\n"))
	readAnswer(t, ar, a, "0")
	before := parked("with a blocking call running")

	// A new connection (registered by a task gnet queues from its
	// acceptor) and its traffic end the park.
	b := dial(t, addr)
	br := bufio.NewReader(b)
	_, _ = b.Write([]byte(initLines + `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{}}}` + "\n"))
	readAnswer(t, br, b, "3")
	if s.loopByIndex(0).idle.parks.Load() == before {
		t.Fatal("the echo was answered while the loop stayed parked")
	}

	// The call still runs, so the loop parks again; its answer, posted to
	// the loop, ends that park.
	parked("again with the call still running")
	close(release)
	readAnswer(t, ar, a, "2")
}

// A loop whose last wait a socket ended polls before it parks; the poll
// ends for a socket's traffic and for a handler's answer (on one P, once
// Go's monitor hands the P to the handler). Polls are made an hour long,
// so a poll that is not ended hangs the test.
func TestIdleLoopPollsAndWakes(t *testing.T) {
	defer func(d, p time.Duration) { idleSpin, idleParkMax = d, p }(idleSpin, idleParkMax)
	idleSpin, idleParkMax = time.Hour, time.Hour
	sweepsOff.Store(true)
	defer sweepsOff.Store(false)
	release := make(chan struct{})
	s, addr := startIdleServer(t, release)
	waitFor := func(what string, cond func(l *loop) bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
			if l := s.loopByIndex(0); l != nil && cond(l) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the loop did not %s", what)
			}
		}
	}
	parked := func(l *loop) bool { return l.idle.parking.Load() }
	polling := func(l *loop) bool { return l.idle.polling.Load() }

	// Both connections are open and initialised before the blocking call,
	// so what ends the first park is b's traffic, a socket.
	a, b := dial(t, addr), dial(t, addr)
	ar, br := bufio.NewReader(a), bufio.NewReader(b)
	_, _ = b.Write([]byte(initLines))
	readAnswer(t, br, b, "0")
	_, _ = a.Write([]byte(initLines + `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"wait","arguments":{}}}` + "\n"))
	readAnswer(t, ar, a, "0")
	waitFor("park with a blocking call running", parked)

	for i, id := range []string{"3", "4"} {
		_, _ = b.Write([]byte(`{"jsonrpc":"2.0","id":` + id + `,"method":"tools/call","params":{"name":"echo","arguments":{}}}` + "\n"))
		readAnswer(t, br, b, id)
		// A socket ended the last wait: the loop polls now.
		waitFor("poll after a wait that a socket ended (echo "+strconv.Itoa(i)+")", polling)
	}
	// The handler's answer ends the poll.
	close(release)
	readAnswer(t, ar, a, "2")
}

// startIdleServer starts a one-loop server with a blocking "wait" tool
// that returns once release is closed and an inline "echo" tool.
func startIdleServer(t *testing.T, release <-chan struct{}) (*Server, string) {
	t.Helper()
	return startServer(t, Config{Loops: 1}, func(r *router.Router) {
		addWaitTool(t, r, release)
		err := r.AddTool(router.Tool{Name: "echo", Inline: true}, func(req *router.Request, _ []byte) error {
			req.Result.AddText("echo")
			return nil
		}, false)
		if err != nil {
			t.Fatal(err)
		}
	})
}

// readAnswer reads lines from c until the answer to request id.
func readAnswer(t *testing.T, br *bufio.Reader, c net.Conn, id string) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("waiting for the answer to %s: %v", id, err)
		}
		if strings.Contains(line, `"id":`+id+`,`) {
			return
		}
	}
}

// gnet's poller fields are found in a real loop: if a gnet upgrade renames
// them, idle loops would silently keep their P.
func TestGnetPollerFields(t *testing.T) {
	s, addr := startServer(t, Config{Loops: 1}, nil)
	c := dial(t, addr)
	_, _ = c.Write([]byte(initLines))
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := bufio.NewReader(c).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	el := s.execs[0].el.Load()
	if el == nil {
		t.Fatal("no loop bound")
	}
	g, ok := gnetPoller(*el)
	if !ok || g.wakeup == nil || g.queues[0] == nil || g.queues[1] == nil {
		t.Fatal("gnet's epoll descriptor, eventfd, wake-up flag and task queues were not found")
	}
	for fd, want := range map[int]string{g.epfd: "anon_inode:[eventpoll]", g.efd: "anon_inode:[eventfd]"} {
		if link, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd)); err != nil || link != want {
			t.Fatalf("descriptor %d is %q (%v), not %s", fd, link, err, want)
		}
	}
	if _, ok := gnetPoller(gnet.EventLoop(nil)); ok {
		t.Fatal("a nil loop has poller fields")
	}
}
