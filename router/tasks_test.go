package router

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/shards"
)

func TestTaskIDCarriesItsShard(t *testing.T) {
	for _, node := range []string{"", "node-a"} {
		r := &Router{}
		r.SetTaskNode(node)
		for _, idx := range []int{0, 1, 7, 255, 4095, 65535} {
			id := r.newTaskID(idx)
			if len(id) != len(r.taskIDPrefix())+taskIDLen || r.taskShardIndex([]byte(id)) != idx {
				t.Fatalf("node %q: newTaskID(%d) = %q, decodes to %d", node, idx, id, r.taskShardIndex([]byte(id)))
			}
			if string(TaskNode([]byte(id))) != node {
				t.Fatalf("TaskNode(%q) = %q, want %q", id, TaskNode([]byte(id)), node)
			}
			if r.newTaskID(idx) == id {
				t.Fatal("two task ids alike")
			}
		}
		for _, bad := range []string{"", "abc", strings.Repeat("g", taskIDLen), "ABCD" + strings.Repeat("0", 32), strings.Repeat("0", taskIDLen+1),
			"node-b." + strings.Repeat("0", taskIDLen), "node-a" + strings.Repeat("0", taskIDLen+1)} {
			if r.taskShardIndex([]byte(bad)) != -1 {
				t.Fatalf("node %q: taskShardIndex(%q) accepted", node, bad)
			}
		}
	}
}

// collector keeps every message a session sends.
type collector struct {
	mu   sync.Mutex
	msgs []string
}

func (c *collector) Send(_ MsgKind, _, msg []byte) {
	c.mu.Lock()
	c.msgs = append(c.msgs, string(msg))
	c.mu.Unlock()
}

func (c *collector) all() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.msgs...)
}

// shardRunner runs a router shard on a goroutine of its own, as a loop would.
type shardRunner struct {
	in *shards.Inbox
	sh *shards.Shard
}

func newShardRunner(t *testing.T, r *Router) *shardRunner {
	in := shards.NewInbox(1 << 16)
	sr := &shardRunner{in: in, sh: r.NewShard(in)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for fn := range in.C {
			fn()
		}
	}()
	t.Cleanup(func() { in.Close(); close(in.C); <-done })
	return sr
}

// do runs fn on the shard's goroutine and waits for it.
func (sr *shardRunner) do(fn func()) {
	ch := make(chan struct{})
	for sr.in.Execute(func() { fn(); close(ch) }) != nil {
		time.Sleep(time.Millisecond)
	}
	<-ch
}

const modernTaskMeta = `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"elicitation":{},"extensions":{"io.modelcontextprotocol/tasks":{}}}}`

// request handles one modern request on a fresh request session of sr and
// returns what it sent.
func (sr *shardRunner) request(r *Router, line string) *collector {
	out := &collector{}
	sr.do(func() {
		s := r.NewRequestSession(sr.sh, out)
		var dec codec.Decoder
		var m codec.Message
		handleLine(r, s, &dec, &m, []byte(line))
	})
	return out
}

func waitMsgs(t *testing.T, c *collector, n int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(c.all()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("waited for %d messages, have %q", n, c.all())
		}
		time.Sleep(time.Millisecond)
	}
	return c.all()
}

// 10,000 tasks alive at once (each waiting for the client's input, which
// holds no goroutine) stay within a small heap budget per task; past
// MaxTasks with none finished a new one is refused, and a finished one
// makes room.
func TestTenThousandTasksBoundedInMemory(t *testing.T) {
	const n = 10_000
	r := New(Implementation{Name: "t", Version: "1"}, Options{MaxTasks: n})
	err := r.AddTool(Tool{Name: "ask", Execution: &ToolExecution{TaskSupport: TaskOptional}}, func(req *Request, _ []byte) error {
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
	shards := []*shardRunner{newShardRunner(t, r), newShardRunner(t, r)}
	call := func(i int) string {
		return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"ask","arguments":{},%s}}`, i, modernTaskMeta)
	}
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	ids := make([]string, 0, n)
	for i := 0; i < n; i++ {
		out := shards[i%2].request(r, call(i))
		var a struct {
			Result struct {
				ResultType, TaskID string
			}
		}
		if err := json.Unmarshal([]byte(waitMsgs(t, out, 1)[0]), &a); err != nil || a.Result.ResultType != "task" {
			t.Fatalf("call %d: %q", i, out.all())
		}
		ids = append(ids, a.Result.TaskID)
	}
	// Every task reaches input_required (no worker is held meanwhile).
	get := func(id string) string {
		out := shards[0].request(r, `{"jsonrpc":"2.0","id":1,"method":"tasks/get","params":{"taskId":"`+id+`",`+modernTaskMeta+`}}`)
		return waitMsgs(t, out, 1)[0]
	}
	deadline := time.Now().Add(60 * time.Second)
	for i := 0; i < n; i += 97 {
		for !strings.Contains(get(ids[i]), `"status":"input_required"`) {
			if time.Now().After(deadline) {
				t.Fatalf("task %d never asked: %s", i, get(ids[i]))
			}
			time.Sleep(time.Millisecond)
		}
	}
	for r.pool.Running() > 0 {
		time.Sleep(time.Millisecond)
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	perTask := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / n
	t.Logf("%d live tasks: %d bytes of heap per task (HeapAlloc %d → %d)", n, perTask, before.HeapAlloc, after.HeapAlloc)
	if perTask > 8<<10 {
		t.Fatalf("%d bytes of heap per task, want at most 8 KiB", perTask)
	}
	if got := r.taskLive.Load(); got != n {
		t.Fatalf("%d live tasks, want %d", got, n)
	}

	// Full of unfinished tasks: refused with -32000 and a retry hint.
	out := shards[0].request(r, call(n))
	if m := waitMsgs(t, out, 1)[0]; !strings.Contains(m, `"code":-32000`) || !strings.Contains(m, "retryAfterMs") {
		t.Fatalf("task past MaxTasks: %s", m)
	}
	// Answer one task on shard 0 (its owner may be either shard: the
	// update travels there); once it completes, a new task on its shard
	// evicts it.
	upd := shards[0].request(r, `{"jsonrpc":"2.0","id":2,"method":"tasks/update","params":{"taskId":"`+ids[0]+`","inputResponses":{"go":{"action":"accept"}},`+modernTaskMeta+`}}`)
	if m := waitMsgs(t, upd, 1)[0]; !strings.Contains(m, `"resultType":"complete"`) {
		t.Fatalf("tasks/update: %s", m)
	}
	for !strings.Contains(get(ids[0]), `"status":"completed"`) {
		time.Sleep(time.Millisecond)
	}
	out = shards[0].request(r, call(n+1)) // ids[0] was created on shards[0]
	if m := waitMsgs(t, out, 1)[0]; !strings.Contains(m, `"resultType":"task"`) {
		t.Fatalf("task after one finished: %s", m)
	}
	if m := get(ids[0]); !strings.Contains(m, `"code":-32602`) {
		t.Fatalf("the finished task was not the one dropped: %s", m)
	}
	if got := r.taskLive.Load(); got != n {
		t.Fatalf("%d live tasks after eviction, want %d", got, n)
	}
}

// A subscriptions/listen stream that names task ids hears notifications/tasks
// with the DetailedTask; one that names them without the extension is -32021.
func TestTaskStatusNotificationsOnListen(t *testing.T) {
	r := New(Implementation{Name: "t", Version: "1"}, Options{})
	gate := make(chan struct{})
	err := r.AddTool(Tool{Name: "work", Execution: &ToolExecution{TaskSupport: TaskOptional}}, func(req *Request, _ []byte) error {
		<-gate
		req.Result.AddText("done")
		return nil
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	owner, other := newShardRunner(t, r), newShardRunner(t, r)
	out := owner.request(r, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"work","arguments":{},`+modernTaskMeta+`}}`)
	var created struct{ Result struct{ TaskID string } }
	if err := json.Unmarshal([]byte(waitMsgs(t, out, 1)[0]), &created); err != nil || created.Result.TaskID == "" {
		t.Fatalf("create: %q", out.all())
	}
	id := created.Result.TaskID
	// The listen lives on the other shard.
	listen := other.request(r, `{"jsonrpc":"2.0","id":"L","method":"subscriptions/listen","params":{"notifications":{"taskIds":["`+id+`"]},`+modernTaskMeta+`}}`)
	if ack := waitMsgs(t, listen, 1)[0]; !strings.Contains(ack, `"taskIds":["`+id+`"]`) {
		t.Fatalf("acknowledgement: %s", ack)
	}
	other.do(func() {}) // the subscription is posted to the owner; let it land
	owner.do(func() {})
	close(gate)
	msgs := waitMsgs(t, listen, 2)
	if !strings.Contains(msgs[1], `"method":"notifications/tasks"`) || !strings.Contains(msgs[1], `"status":"completed"`) ||
		!strings.Contains(msgs[1], `"result":{"content":[{"type":"text","text":"done"}]`) || !strings.Contains(msgs[1], `"io.modelcontextprotocol/subscriptionId":"L"`) {
		t.Fatalf("notification: %s", msgs[1])
	}
	bad := other.request(r, `{"jsonrpc":"2.0","id":"M","method":"subscriptions/listen","params":{"notifications":{"taskIds":["`+id+`"]},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}`)
	if m := waitMsgs(t, bad, 1)[0]; !strings.Contains(m, `"code":-32021`) {
		t.Fatalf("listen for tasks without the extension: %s", m)
	}
}

// An expired task is dropped on time by its shard's sweep timer, with no
// request touching it; a shard with no tasks left arms no timer.
func TestExpiredTasksFreedWhileIdle(t *testing.T) {
	r := New(Implementation{Name: "t", Version: "1"}, Options{TaskTTL: 50 * time.Millisecond})
	err := r.AddTool(Tool{Name: "quick", Execution: &ToolExecution{TaskSupport: TaskOptional}}, func(req *Request, _ []byte) error {
		req.Result.AddText("done")
		return nil
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	sr := newShardRunner(t, r)
	for i := 0; i < 3; i++ {
		out := sr.request(r, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"quick","arguments":{},%s}}`, i, modernTaskMeta))
		if m := waitMsgs(t, out, 1)[0]; !strings.Contains(m, `"resultType":"task"`) {
			t.Fatalf("create: %s", m)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for r.taskLive.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d expired tasks still held", r.taskLive.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
	var armed bool
	sr.do(func() { armed = r.stateOf(sr.sh.ID).tasks.sweepArmed })
	if armed {
		t.Fatal("a sweep is still armed for a shard without tasks")
	}
}
