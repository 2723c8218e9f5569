package engine

import (
	"bytes"
	"strings"
	"testing"

	"github.com/densemcp/densemcp/router"
	"github.com/densemcp/densemcp/shards"
)

// queueExec holds posted tasks until the test runs them: a loop whose task
// queue the test drains by hand.
type queueExec struct{ tasks []func() }

func (q *queueExec) Execute(fn func()) error { q.tasks = append(q.tasks, fn); return nil }

func (q *queueExec) runAll() {
	for len(q.tasks) > 0 {
		fn := q.tasks[0]
		q.tasks = q.tasks[1:]
		fn()
	}
}

// writeCounter counts the writes a connection receives.
type writeCounter struct {
	memConn
	writes int
	closed bool
}

func (c *writeCounter) Write(b []byte) (int, error) { c.writes++; return c.memConn.Write(b) }
func (c *writeCounter) Close() error                { c.closed = true; return nil }

func newHeldConn(t *testing.T, maxOutbound int) (*Server, *queueExec, *conn, *writeCounter) {
	t.Helper()
	h := newMemNDJSON(t) // for its router with the echo tool
	r := h.s.r
	q := &queueExec{}
	s := New(r, Config{Loops: 1, MaxOutboundBytes: maxOutbound}, nil)
	s.shards[0] = shards.New(0, q)
	l := s.newLoop(0)
	c := &writeCounter{}
	cn := &conn{c: c, l: l}
	cn.session = r.NewSession(l.shard, cn)
	c.SetContext(cn)
	l.watch(cn)
	return s, q, cn, c
}

// Answers sent outside the connection's traffic pass (a worker's answer
// posted back, a notification) wait for the loop's flush task, and all of
// one batch leave in a single write, in the order they were sent.
func TestHeldAnswersLeaveInOneWrite(t *testing.T) {
	_, q, cn, c := newHeldConn(t, 0)
	for _, m := range []string{`{"id":1}`, `{"id":2}`, `{"id":3}`} {
		cn.Send(router.MsgResponse, nil, []byte(m))
	}
	if c.writes != 0 || len(c.out) != 0 {
		t.Fatalf("written before the flush task ran: %d writes, %q", c.writes, c.out)
	}
	if len(q.tasks) != 1 {
		t.Fatalf("%d flush tasks queued for one batch, want 1", len(q.tasks))
	}
	q.runAll()
	if c.writes != 1 {
		t.Fatalf("%d writes for one batch of three answers, want 1", c.writes)
	}
	if want := "{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n"; string(c.out) != want {
		t.Fatalf("wrote %q, want %q", c.out, want)
	}
	// A later answer is a new batch with its own flush.
	cn.Send(router.MsgResponse, nil, []byte(`{"id":4}`))
	q.runAll()
	if c.writes != 2 || !strings.HasSuffix(string(c.out), "{\"id\":4}\n") {
		t.Fatalf("second batch: %d writes, %q", c.writes, c.out)
	}
}

// A traffic pass on a connection that holds answers writes them first,
// ahead of the pass's own answers, and the flush task then has nothing
// left to write for it.
func TestHeldAnswersPrecedeTrafficAnswers(t *testing.T) {
	s, q, cn, c := newHeldConn(t, 0)
	cn.Send(router.MsgUnrelated, nil, []byte(`{"method":"held"}`))
	c.in = append(c.in[:0], `{"jsonrpc":"2.0","id":7,"method":"ping"}`+"\n"...)
	s.OnTraffic(c)
	out := string(c.out)
	held, pong := strings.Index(out, `"held"`), strings.Index(out, `"id":7`)
	if held < 0 || pong < 0 || held > pong {
		t.Fatalf("held notification and the pass's answer out of order: %q", out)
	}
	if c.writes != 1 {
		t.Fatalf("%d writes for the pass, want 1", c.writes)
	}
	q.runAll()
	if c.writes != 1 || strings.Count(string(c.out), `"held"`) != 1 {
		t.Fatalf("flush task wrote again: %d writes, %q", c.writes, c.out)
	}
}

// Held answers count against MaxOutboundBytes: a client that lets them
// pile up past it is closed as a slow consumer, and nothing is written.
func TestHeldAnswersBounded(t *testing.T) {
	_, q, cn, c := newHeldConn(t, 64)
	big := bytes.Repeat([]byte("x"), 40)
	cn.Send(router.MsgResponse, nil, big)
	if cn.closing {
		t.Fatal("closed under the bound")
	}
	cn.Send(router.MsgResponse, nil, big)
	if !cn.closing || !c.closed {
		t.Fatal("held answers past MaxOutboundBytes did not close the connection")
	}
	q.runAll()
	if c.writes != 0 {
		t.Fatalf("a closing connection was written to: %q", c.out)
	}
}
