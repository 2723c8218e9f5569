package router

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/shards"
)

// A handler's answer is posted back to its shard from the worker. A shard
// whose inbox is full for a moment (a burst of tasks on a net/http or
// stdio shard) must still get it: the answer was dropped, and with it the
// call's slot of the concurrency limit and its place in the session's
// in-flight set, for good.
func TestPooledAnswerSurvivesFullInbox(t *testing.T) {
	r := New(Implementation{Name: "postfull", Version: "1"}, Options{})
	release := make(chan struct{})
	err := r.AddTool(Tool{Name: "wait"}, func(req *Request, args []byte) error {
		<-release
		req.Result.AddText("done")
		return nil
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	b := newBusyShard(t, r)
	s, out := b.legacySession(r)
	b.handle(r, s, `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"wait","arguments":{}}}`)
	if r.Pending(b.sh) != 1 {
		t.Fatalf("pending %d, want the call running", r.Pending(b.sh))
	}
	// The inbox is full when the handler returns.
	b.fill()
	b.watch()
	close(release)
	b.awaitRefusal(t, "the answer")
	b.runUntil(t, "the answer", func() bool { return has(out, `"id":7`) })
	if !strings.Contains(find(t, out, `"id":7`), `"done"`) {
		t.Fatalf("answer %s, want the handler's result", find(t, out, `"id":7`))
	}
	if n := r.Pending(b.sh); n != 0 {
		t.Fatalf("pending %d after the answer, want 0", n)
	}
}

// hangRouter is a router with a task-capable tool "hang" whose handler
// returns once gate is closed or its context ends.
func hangRouter(t *testing.T, opts Options) (*Router, chan struct{}) {
	t.Helper()
	r := New(Implementation{Name: "t", Version: "1"}, opts)
	gate := make(chan struct{})
	err := r.AddTool(Tool{Name: "hang", Execution: &ToolExecution{TaskSupport: TaskOptional}}, func(req *Request, _ []byte) error {
		select {
		case <-gate:
		case <-req.Context().Done():
		}
		return nil
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	return r, gate
}

// busyShard is a router shard with a tiny inbox that the test goroutine
// drains itself (it plays the shard's goroutine), so a test can keep the
// inbox full while a worker or a timer posts to it, and learn that a post
// found it full.
type busyShard struct {
	in      *shards.Inbox
	sh      *shards.Shard
	watched atomic.Bool
	refused chan struct{} // one token: a post found the inbox full while watched
}

// Execute is the shard's executor: the inbox's, reporting refusals.
func (b *busyShard) Execute(fn func()) error {
	err := b.in.Execute(fn)
	if errors.Is(err, shards.ErrInboxFull) && b.watched.Load() {
		select {
		case b.refused <- struct{}{}:
		default:
		}
	}
	return err
}

func newBusyShard(t *testing.T, r *Router) *busyShard {
	t.Helper()
	b := &busyShard{in: shards.NewInbox(2), refused: make(chan struct{}, 1)}
	b.sh = r.NewShard(b)
	// A closed inbox ends every post still waiting for room.
	t.Cleanup(b.in.Close)
	return b
}

// fill fills the inbox with tasks that do nothing.
func (b *busyShard) fill() {
	for b.in.Execute(func() {}) == nil {
	}
}

// watch reports, from now on, posts that find the inbox full.
func (b *busyShard) watch() {
	select {
	case <-b.refused:
	default:
	}
	b.watched.Store(true)
}

// refusedYet reports whether a post found the inbox full since watch,
// without waiting: for a condition of another shard's runUntil.
func (b *busyShard) refusedYet() bool {
	select {
	case <-b.refused:
		return true
	default:
		return false
	}
}

// awaitRefusal waits until a post found the inbox full (since watch).
func (b *busyShard) awaitRefusal(t *testing.T, what string) {
	t.Helper()
	select {
	case <-b.refused:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s never found the inbox full", what)
	}
	b.watched.Store(false)
}

// runUntil runs the shard's tasks until cond holds; a post that was lost
// never makes it hold, and the deadline fails the test.
func (b *busyShard) runUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case fn := <-b.in.C:
			fn()
		case <-tick.C:
			if time.Now().After(deadline) {
				t.Fatalf("%s never happened", what)
			}
		}
	}
}

// handle handles one message line on session s (the test goroutine is
// the shard's).
func (b *busyShard) handle(r *Router, s *Session, line string) {
	var dec codec.Decoder
	var m codec.Message
	handleLine(r, s, &dec, &m, []byte(line))
}

// has reports whether out has a message containing sub.
func has(out *collector, sub string) bool {
	for _, m := range out.all() {
		if strings.Contains(m, sub) {
			return true
		}
	}
	return false
}

// find returns the message of out containing sub.
func find(t *testing.T, out *collector, sub string) string {
	t.Helper()
	for _, m := range out.all() {
		if strings.Contains(m, sub) {
			return m
		}
	}
	t.Fatalf("no message with %s in %q", sub, out.all())
	return ""
}

func taskIDOf(t *testing.T, msg string) string {
	t.Helper()
	var a struct {
		Result struct {
			TaskID string
			Task   struct{ TaskID string }
		}
	}
	if err := json.Unmarshal([]byte(msg), &a); err != nil {
		t.Fatalf("%s: %v", msg, err)
	}
	if id := a.Result.TaskID + a.Result.Task.TaskID; id != "" {
		return id
	}
	t.Fatalf("no task id in %s", msg)
	return ""
}

const lineInitElicit = `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{"elicitation":{}},"clientInfo":{"name":"b","version":"1"}}}`

// legacySession is an initialized 2025-11-25 session of b whose client
// declared elicitation.
func (b *busyShard) legacySession(r *Router) (*Session, *collector) {
	out := &collector{}
	s := r.NewSession(b.sh, out)
	b.handle(r, s, lineInitElicit)
	b.handle(r, s, string(lineInitialized))
	return s, out
}

// A task's outcome is posted to its shard from the worker when the handler
// returns. On a full inbox it was dropped: the task stayed "working" for
// good and its result was lost.
func TestTaskOutcomeSurvivesFullInbox(t *testing.T) {
	r := New(Implementation{Name: "t", Version: "1"}, Options{})
	gate := make(chan struct{})
	defer func() {
		select {
		case <-gate:
		default:
			close(gate)
		}
	}()
	err := r.AddTool(Tool{Name: "work", Execution: &ToolExecution{TaskSupport: TaskOptional}}, func(req *Request, _ []byte) error {
		<-gate
		req.Result.AddText("done")
		return nil
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	b := newBusyShard(t, r)
	out := &collector{}
	b.handle(r, r.NewRequestSession(b.sh, out), `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"work","arguments":{},`+modernTaskMeta+`}}`)
	id := taskIDOf(t, waitMsgs(t, out, 1)[0])
	b.fill()
	b.watch()
	close(gate)
	b.awaitRefusal(t, "the task's outcome")
	st := r.stateOf(b.sh.ID)
	b.runUntil(t, "the task's completion", func() bool {
		tk := st.tasks.byID[id]
		return tk != nil && terminal(tk.status)
	})
	get := &collector{}
	b.handle(r, r.NewRequestSession(b.sh, get), `{"jsonrpc":"2.0","id":2,"method":"tasks/get","params":{"taskId":"`+id+`",`+modernTaskMeta+`}}`)
	if m := waitMsgs(t, get, 1)[0]; !strings.Contains(m, `"status":"completed"`) || !strings.Contains(m, `"text":"done"`) {
		t.Fatalf("tasks/get: %s", m)
	}
}

// The sweep of expired tasks is posted from a timer. On a full inbox it
// was dropped, leaving sweepArmed set: the sweep was never armed again and
// the expired task was held until some request happened to look it up.
func TestTaskSweepSurvivesFullInbox(t *testing.T) {
	r, gate := hangRouter(t, Options{TaskTTL: 50 * time.Millisecond})
	defer close(gate)
	b := newBusyShard(t, r)
	b.fill() // before the task: its sweep finds the inbox full whenever it fires
	out := &collector{}
	b.handle(r, r.NewRequestSession(b.sh, out), `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"hang","arguments":{},`+modernTaskMeta+`}}`)
	taskIDOf(t, waitMsgs(t, out, 1)[0])
	b.watch()
	b.awaitRefusal(t, "the sweep")
	st := r.stateOf(b.sh.ID)
	b.runUntil(t, "the sweep of the expired task", func() bool { return r.taskLive.Load() == 0 })
	if st.tasks.sweepArmed || len(st.tasks.byID) != 0 {
		t.Fatalf("after the sweep: armed %v, %d tasks held", st.tasks.sweepArmed, len(st.tasks.byID))
	}
}

// A pooled handler's progress notifications are posted to its shard one by
// one. On a full inbox they were dropped silently; now the handler waits
// for room, and every one arrives, in order, before the answer.
func TestProgressSurvivesFullInbox(t *testing.T) {
	const n = 50
	r := New(Implementation{Name: "t", Version: "1"}, Options{})
	gate := make(chan struct{})
	err := r.AddTool(Tool{Name: "count"}, func(req *Request, _ []byte) error {
		<-gate
		for i := 1; i <= n; i++ {
			req.Progress(float64(i), n, "")
		}
		req.Result.AddText("counted")
		return nil
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	b := newBusyShard(t, r)
	s, out := b.legacySession(r)
	b.handle(r, s, `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"count","arguments":{},"_meta":{"progressToken":"p"}}}`)
	b.fill()
	b.watch()
	close(gate)
	b.awaitRefusal(t, "a progress notification")
	b.runUntil(t, "the answer", func() bool { return has(out, `"id":9`) })
	var got []string
	for _, m := range out.all() {
		if strings.Contains(m, "notifications/progress") || strings.Contains(m, `"id":9`) {
			got = append(got, m)
		}
	}
	if len(got) != n+1 {
		t.Fatalf("%d progress notifications before the answer, want %d: %q", len(got)-1, n, got)
	}
	for i, m := range got[:n] {
		if want := fmt.Sprintf(`"progress":%d,`, i+1); !strings.Contains(m, want) {
			t.Fatalf("notification %d is %s, want progress %d", i, m, i+1)
		}
	}
	if !strings.Contains(got[n], `"counted"`) {
		t.Fatalf("answer %s", got[n])
	}
}

// StartTask posts the task's creation to the shard and waits for it. On a
// full inbox it failed with context.Canceled, as if the call had been
// cancelled: a busy shard is no cancellation.
func TestStartTaskSurvivesFullInbox(t *testing.T) {
	r := New(Implementation{Name: "t", Version: "1"}, Options{})
	gate := make(chan struct{})
	started := make(chan error, 1)
	err := r.AddTool(Tool{Name: "later", DeferTask: true, Execution: &ToolExecution{TaskSupport: TaskOptional}}, func(req *Request, _ []byte) error {
		<-gate
		_, err := req.StartTask()
		started <- err
		if err != nil {
			return err
		}
		req.Result.AddText("done")
		return nil
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	b := newBusyShard(t, r)
	out := &collector{}
	b.handle(r, r.NewRequestSession(b.sh, out), `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"later","arguments":{},`+modernTaskMeta+`}}`)
	b.fill()
	b.watch()
	close(gate)
	b.awaitRefusal(t, "the task's creation")
	b.runUntil(t, "an answer", func() bool { return len(out.all()) > 0 })
	if m := out.all()[0]; !strings.Contains(m, `"resultType":"task"`) {
		t.Fatalf("answer %s, want the CreateTaskResult", m)
	}
	if err := <-started; err != nil {
		t.Fatalf("StartTask: %v", err)
	}
}

// A handler's request to the client (elicitation) is posted to its shard.
// On a full inbox it failed as if the session were closed.
func TestClientRequestSurvivesFullInbox(t *testing.T) {
	r := New(Implementation{Name: "t", Version: "1"}, Options{})
	gate := make(chan struct{})
	err := r.AddTool(Tool{Name: "ask"}, func(req *Request, _ []byte) error {
		<-gate
		res, err := req.ElicitAs("go", &ElicitParams{Message: "go?"})
		if err != nil {
			return err
		}
		req.Result.AddText("went " + res.Action)
		return nil
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	b := newBusyShard(t, r)
	s, out := b.legacySession(r)
	b.handle(r, s, `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"ask","arguments":{}}}`)
	b.fill()
	b.watch()
	close(gate)
	b.awaitRefusal(t, "the elicitation")
	b.runUntil(t, "the elicitation or the answer", func() bool { return has(out, "elicitation/create") || has(out, `"id":9`) })
	var ask struct{ ID json.RawMessage }
	for _, m := range out.all() {
		if strings.Contains(m, "elicitation/create") {
			_ = json.Unmarshal([]byte(m), &ask)
		}
	}
	if ask.ID == nil {
		t.Fatalf("no elicitation sent: %q", out.all())
	}
	b.handle(r, s, `{"jsonrpc":"2.0","id":`+string(ask.ID)+`,"result":{"action":"accept"}}`)
	b.runUntil(t, "the answer", func() bool { return has(out, `"id":9`) })
	if !has(out, "went accept") {
		t.Fatalf("answer: %q", out.all())
	}
}

// A legacy task's handler asking the client posts the question to the
// task's shard, then (answered) posts its cleanup. On a full inbox the
// first failed as if the task were gone, and the second was dropped: the
// task stayed input_required and its answered question was sent again on
// every later tasks/result stream.
func TestTaskQuestionSurvivesFullInbox(t *testing.T) {
	r := New(Implementation{Name: "t", Version: "1"}, Options{})
	after := make(chan struct{})
	err := r.AddTool(Tool{Name: "ask", Execution: &ToolExecution{TaskSupport: TaskOptional}}, func(req *Request, _ []byte) error {
		res, err := req.ElicitAs("go", &ElicitParams{Message: "go?"})
		if err != nil {
			return err
		}
		<-after
		req.Result.AddText("went " + res.Action)
		return nil
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	b := newBusyShard(t, r)
	s, out := b.legacySession(r)
	b.fill() // before the call: the handler asks at once
	b.handle(r, s, `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"ask","arguments":{},"task":{}}}`)
	id := taskIDOf(t, find(t, out, `"id":9`))
	b.watch()
	b.awaitRefusal(t, "the question")
	st := r.stateOf(b.sh.ID)
	status := func() uint8 {
		if tk := st.tasks.byID[id]; tk != nil {
			return tk.status
		}
		return 255
	}
	b.runUntil(t, "input_required", func() bool { return status() == taskInputRequired })

	b.handle(r, s, `{"jsonrpc":"2.0","id":3,"method":"tasks/result","params":{"taskId":"`+id+`"}}`)
	var ask struct{ ID json.RawMessage }
	for _, m := range out.all() {
		if strings.Contains(m, "elicitation/create") {
			_ = json.Unmarshal([]byte(m), &ask)
		}
	}
	if ask.ID == nil {
		t.Fatalf("no question on the tasks/result stream: %q", out.all())
	}
	b.fill()
	b.watch()
	b.handle(r, s, `{"jsonrpc":"2.0","id":`+string(ask.ID)+`,"result":{"action":"accept"}}`)
	b.awaitRefusal(t, "the question's cleanup")
	b.runUntil(t, "working again", func() bool { return status() == taskWorking })
	if n := len(st.tasks.byID[id].questions); n != 0 {
		t.Fatalf("%d questions still held after the answer", n)
	}
	close(after)
	b.runUntil(t, "the tasks/result answer", func() bool { return has(out, `"id":3`) })
	if !has(out, "went accept") {
		t.Fatalf("tasks/result: %q", out.all())
	}
}

// A task that expires answers its waiting tasks/result with an error. The
// waiter on the task's own shard got it posted to that shard's inbox, from
// the shard's own goroutine: on a full inbox it was dropped and the
// tasks/result waited for good. Now it is sent at once.
func TestExpiredTaskAnswersWaiterOnFullInbox(t *testing.T) {
	r, gate := hangRouter(t, Options{TaskTTL: 50 * time.Millisecond})
	defer close(gate)
	b := newBusyShard(t, r)
	s, out := b.legacySession(r)
	b.fill() // before the task: its sweep finds the inbox full
	b.handle(r, s, `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"hang","arguments":{},"task":{}}}`)
	id := taskIDOf(t, find(t, out, `"id":9`))
	b.handle(r, s, `{"jsonrpc":"2.0","id":3,"method":"tasks/result","params":{"taskId":"`+id+`"}}`)
	b.watch()
	b.awaitRefusal(t, "the sweep") // so the task has expired
	// The next look at the task drops it, the inbox still full.
	b.handle(r, s, `{"jsonrpc":"2.0","id":4,"method":"tasks/get","params":{"taskId":"`+id+`"}}`)
	b.runUntil(t, "the waiter's answer", func() bool { return has(out, `"id":3`) })
	if !has(out, `"id":3,"error"`) || !has(out, "Task has expired") {
		t.Fatalf("tasks/result: %q", out.all())
	}
}

// tasks/get from another shard is posted to the task's owner, loop to
// loop, where it cannot wait. On a full inbox it answered "Task not found"
// for a task that lives on; now it answers server busy with a retry hint,
// and the task is there once the owner drains.
func TestTaskLookupOnBusyOwnerIsBusy(t *testing.T) {
	r, gate := hangRouter(t, Options{})
	defer close(gate)
	owner, other := newBusyShard(t, r), newBusyShard(t, r)
	out := &collector{}
	owner.handle(r, r.NewRequestSession(owner.sh, out), `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"hang","arguments":{},`+modernTaskMeta+`}}`)
	id := taskIDOf(t, waitMsgs(t, out, 1)[0])
	get := `{"jsonrpc":"2.0","id":2,"method":"tasks/get","params":{"taskId":"` + id + `",` + modernTaskMeta + `}}`
	owner.fill()
	busy := &collector{}
	other.handle(r, r.NewRequestSession(other.sh, busy), get)
	if m := waitMsgs(t, busy, 1)[0]; !strings.Contains(m, `"code":-32000`) || !strings.Contains(m, "retryAfterMs") {
		t.Fatalf("tasks/get on a busy owner: %s", m)
	}
	owner.runUntil(t, "the owner's drain", func() bool { return len(owner.in.C) == 0 })
	later := &collector{}
	other.handle(r, r.NewRequestSession(other.sh, later), get)
	owner.runUntil(t, "the lookup", func() bool { return len(owner.in.C) == 0 })
	other.runUntil(t, "the answer", func() bool { return len(later.all()) > 0 })
	if m := later.all()[0]; !strings.Contains(m, `"status":"working"`) {
		t.Fatalf("tasks/get once drained: %s", m)
	}
}

// A subscriptions/listen stream naming a task whose owner loop is backed up
// cannot wait for room (loop to loop): the id is left out of the
// acknowledgement instead of being agreed and never heard from; once the
// owner drains, listening again agrees to it and the notification comes.
func TestListenTaskOnBusyOwnerNotAgreed(t *testing.T) {
	r, gate := hangRouter(t, Options{})
	owner, other := newBusyShard(t, r), newBusyShard(t, r)
	out := &collector{}
	owner.handle(r, r.NewRequestSession(owner.sh, out), `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"hang","arguments":{},`+modernTaskMeta+`}}`)
	id := taskIDOf(t, waitMsgs(t, out, 1)[0])
	listen := func(lid string) *collector {
		c := &collector{}
		other.handle(r, r.NewRequestSession(other.sh, c), `{"jsonrpc":"2.0","id":"`+lid+`","method":"subscriptions/listen","params":{"notifications":{"taskIds":["`+id+`"]},`+modernTaskMeta+`}}`)
		return c
	}
	owner.fill()
	if ack := waitMsgs(t, listen("L1"), 1)[0]; strings.Contains(ack, id) || !strings.Contains(ack, `"taskIds":[]`) {
		t.Fatalf("acknowledgement on a busy owner: %s", ack)
	}
	owner.runUntil(t, "the owner's drain", func() bool { return len(owner.in.C) == 0 })
	later := listen("L2")
	if ack := waitMsgs(t, later, 1)[0]; !strings.Contains(ack, `"taskIds":["`+id+`"]`) {
		t.Fatalf("acknowledgement once drained: %s", ack)
	}
	owner.runUntil(t, "the subscription", func() bool { return len(owner.in.C) == 0 })
	close(gate)
	// The task's outcome lands on its owner, which posts the notification to the
	// listen's shard.
	owner.runUntil(t, "the task's end", func() bool { return len(other.in.C) > 0 })
	other.runUntil(t, "the notification", func() bool { return len(later.all()) > 1 })
	if m := later.all()[1]; !strings.Contains(m, `"method":"notifications/tasks"`) || !strings.Contains(m, `"status":"completed"`) {
		t.Fatalf("notification: %s", m)
	}
}

// count returns how many messages of out contain sub.
func count(out *collector, sub string) int {
	n := 0
	for _, m := range out.all() {
		if strings.Contains(m, sub) {
			n++
		}
	}
	return n
}

// A catalog change is raised under the registry lock, where its post to
// each shard cannot wait for room. On a full inbox that shard's sessions
// were never told: the list_changed was dropped. It is kept instead and
// told once the inbox has room, coalesced with the changes raised
// meanwhile.
func TestListChangedSurvivesFullInbox(t *testing.T) {
	r := New(Implementation{Name: "t", Version: "1"}, Options{})
	b := newBusyShard(t, r)
	_, out := b.legacySession(r)
	b.fill()
	b.watch()
	for _, name := range []string{"late", "later"} {
		if err := r.AddTool(Tool{Name: name, Inline: true}, func(*Request, []byte) error { return nil }, false); err != nil {
			t.Fatal(err)
		}
	}
	b.awaitRefusal(t, "the tools list_changed")
	b.runUntil(t, "the tools list_changed", func() bool { return has(out, "notifications/tools/list_changed") })
	// The two changes were kept as one; nothing else is waiting.
	b.runUntil(t, "an empty inbox", func() bool { return len(b.in.C) == 0 })
	if n := count(out, "notifications/tools/list_changed"); n != 1 {
		t.Fatalf("%d tools list_changed, want the two changes told once", n)
	}
	// With room again, a change is posted directly.
	if err := r.AddTool(Tool{Name: "latest", Inline: true}, func(*Request, []byte) error { return nil }, false); err != nil {
		t.Fatal(err)
	}
	b.runUntil(t, "the next list_changed", func() bool { return count(out, "notifications/tools/list_changed") == 2 })
}

// ResourceUpdated on a full inbox: each subscribed URI is told once.
func TestResourceUpdatedSurvivesFullInbox(t *testing.T) {
	r := New(Implementation{Name: "t", Version: "1"}, Options{})
	read := func(*Request, string, map[string]string) ([]ResourceContents, error) { return nil, nil }
	for _, uri := range []string{"res://a", "res://b"} {
		if err := r.AddResource(Resource{URI: uri, Name: uri}, read); err != nil {
			t.Fatal(err)
		}
	}
	b := newBusyShard(t, r)
	s, out := b.legacySession(r)
	b.handle(r, s, `{"jsonrpc":"2.0","id":5,"method":"resources/subscribe","params":{"uri":"res://a"}}`)
	b.handle(r, s, `{"jsonrpc":"2.0","id":6,"method":"resources/subscribe","params":{"uri":"res://b"}}`)
	if !has(out, `"id":6,"result"`) {
		t.Fatalf("subscribe answered %q", out.all())
	}
	b.fill()
	b.watch()
	r.ResourceUpdated("res://a")
	b.awaitRefusal(t, "the update")
	r.ResourceUpdated("res://b")
	r.ResourceUpdated("res://a")
	b.runUntil(t, "both updates", func() bool {
		return has(out, `"uri":"res://a"`) && has(out, `"uri":"res://b"`)
	})
	b.runUntil(t, "an empty inbox", func() bool { return len(b.in.C) == 0 })
	if a, bb := count(out, `"uri":"res://a"`), count(out, `"uri":"res://b"`); a != 1 || bb != 1 {
		t.Fatalf("told res://a %d times and res://b %d, want once each: %q", a, bb, out.all())
	}
}

// A shard that closes while a change waits for room lets the change go:
// it has no sessions left. The next change is not kept for it either, and
// NotifyChange counts it as not told.
func TestChangeForClosedShardNotKept(t *testing.T) {
	r := New(Implementation{Name: "t", Version: "1"}, Options{})
	b := newBusyShard(t, r)
	b.legacySession(r)
	b.fill()
	b.watch()
	if refused := r.NotifyChange(ChangeTools, ""); refused != 0 {
		t.Fatalf("a full inbox refused %d shards, want the change kept", refused)
	}
	b.awaitRefusal(t, "the change")
	b.in.Close()
	deadline := time.Now().Add(10 * time.Second)
	for r.NotifyChange(ChangePrompts, "") != 1 {
		if time.Now().After(deadline) {
			t.Fatal("changes for a closed shard are still kept")
		}
		time.Sleep(time.Millisecond)
	}
}

// A handler's progress waits for room in a full inbox, but not past the
// handler's own end: once its call is cancelled (or times out) the wait
// ends, so a handler holding a lock the shard's goroutine needs cannot
// wait forever.
func TestProgressWaitEndsWithTheCall(t *testing.T) {
	r := New(Implementation{Name: "t", Version: "1"}, Options{})
	gate := make(chan struct{})
	returned := make(chan struct{})
	err := r.AddTool(Tool{Name: "report"}, func(req *Request, _ []byte) error {
		<-gate
		req.Progress(1, 2, "")
		close(returned)
		return nil
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	b := newBusyShard(t, r)
	s, _ := b.legacySession(r)
	b.handle(r, s, `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"report","arguments":{},"_meta":{"progressToken":"p"}}}`)
	b.fill()
	b.watch()
	close(gate)
	b.awaitRefusal(t, "the progress notification")
	select {
	case <-returned:
		t.Fatal("the handler went on before its progress had room or its call ended")
	case <-time.After(20 * time.Millisecond):
	}
	// The shard's goroutine (this one) cancels the call; the inbox stays
	// full.
	b.handle(r, s, `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":9}}`)
	select {
	case <-returned:
	case <-time.After(10 * time.Second):
		t.Fatal("the handler still waits for room after its call was cancelled")
	}
}

// A task's status notification goes from its owner loop to a listen
// stream's loop, loop to loop, so it cannot wait for room. On a full inbox
// it was dropped and the listener never heard that the task ended; it is
// kept now and delivered once that inbox has room.
func TestTaskNotificationSurvivesFullInbox(t *testing.T) {
	r, gate := hangRouter(t, Options{})
	owner, other := newBusyShard(t, r), newBusyShard(t, r)
	out := &collector{}
	owner.handle(r, r.NewRequestSession(owner.sh, out), `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"hang","arguments":{},`+modernTaskMeta+`}}`)
	id := taskIDOf(t, waitMsgs(t, out, 1)[0])
	listener := &collector{}
	other.handle(r, r.NewRequestSession(other.sh, listener), `{"jsonrpc":"2.0","id":"L","method":"subscriptions/listen","params":{"notifications":{"taskIds":["`+id+`"]},`+modernTaskMeta+`}}`)
	if ack := waitMsgs(t, listener, 1)[0]; !strings.Contains(ack, `"taskIds":["`+id+`"]`) {
		t.Fatalf("acknowledgement: %s", ack)
	}
	owner.runUntil(t, "the subscription", func() bool { return len(owner.in.C) == 0 })
	other.fill()
	other.watch()
	close(gate)
	owner.runUntil(t, "the notification finding the inbox full", other.refusedYet)
	other.runUntil(t, "the notification", func() bool { return len(listener.all()) > 1 })
	if m := listener.all()[1]; !strings.Contains(m, `"method":"notifications/tasks"`) || !strings.Contains(m, `"status":"completed"`) {
		t.Fatalf("notification: %s", m)
	}
}

// Posts kept for a full inbox run in the order they were made, and no
// more than maxPendingPosts are kept.
func TestKeptPostsOrderedAndBounded(t *testing.T) {
	r := New(Implementation{Name: "t", Version: "1"}, Options{})
	b := newBusyShard(t, r)
	b.fill()
	var ran []int
	for i := range maxPendingPosts {
		if !r.postOrKeep(b.sh, func() { ran = append(ran, i) }) {
			t.Fatalf("post %d was not kept", i)
		}
	}
	if r.postOrKeep(b.sh, func() { ran = append(ran, -1) }) {
		t.Fatalf("post %d kept, past the bound", maxPendingPosts)
	}
	b.runUntil(t, "the kept posts", func() bool { return len(ran) == maxPendingPosts })
	for i, v := range ran {
		if v != i {
			t.Fatalf("post %d ran as number %d", v, i)
		}
	}
	// Nothing kept any more: the next post goes straight to the inbox.
	b.runUntil(t, "an empty inbox", func() bool { return len(b.in.C) == 0 })
	if !r.postOrKeep(b.sh, func() { ran = append(ran, maxPendingPosts) }) || len(b.in.C) != 1 {
		t.Fatalf("a post on an empty inbox: %d queued", len(b.in.C))
	}
}

// tasks/get on another loop than the task's: the owner loop looks it up
// and posts the answer back to the asker's loop, loop to loop. On a full
// inbox there the answer was dropped and the client waited for good; it
// is kept now and delivered once that inbox has room.
func TestTaskAnswerToBusyAskerSurvives(t *testing.T) {
	r, gate := hangRouter(t, Options{})
	defer close(gate)
	owner, asker := newBusyShard(t, r), newBusyShard(t, r)
	out := &collector{}
	owner.handle(r, r.NewRequestSession(owner.sh, out), `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"hang","arguments":{},`+modernTaskMeta+`}}`)
	id := taskIDOf(t, waitMsgs(t, out, 1)[0])
	got := &collector{}
	asker.handle(r, r.NewRequestSession(asker.sh, got), `{"jsonrpc":"2.0","id":2,"method":"tasks/get","params":{"taskId":"`+id+`",`+modernTaskMeta+`}}`)
	asker.fill()
	asker.watch()
	owner.runUntil(t, "the answer finding the inbox full", asker.refusedYet)
	asker.runUntil(t, "the answer", func() bool { return len(got.all()) > 0 })
	if m := got.all()[0]; !strings.Contains(m, `"id":2`) || !strings.Contains(m, `"status":"working"`) {
		t.Fatalf("tasks/get: %s", m)
	}
}
