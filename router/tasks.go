package router

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"time"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/shards"
)

// Tasks: a tools/call answered with a task handle instead of its result,
// the result fetched later by polling. Two wire forms share one engine:
//
//   - modern (2026-07-28): the io.modelcontextprotocol/tasks extension
//     (SEP-2663). The client declares the extension per request; the server
//     decides to create a task and answers resultType "task"; tasks/get
//     polls (the result inlined once terminal), tasks/update answers the
//     task's inputRequests, tasks/cancel acknowledges; notifications/tasks
//     on a subscriptions/listen stream that asked for the task ids.
//   - legacy (2025-11-25): the core tasks of SEP-1686. The client asks with
//     a "task" param; tasks/get, tasks/result (blocks until terminal),
//     tasks/list, tasks/cancel; notifications/tasks/status on the session.
//
// A task lives in the shard where it was created — its owner's: the legacy
// session's, or the loop a modern request arrived on. Its id carries that
// shard's index, so any loop finds the owner from the id alone and reaches
// the task by posting to that shard; no map is shared between loops. Every
// field of a task is touched on its shard's goroutine only; the handler runs
// on the worker pool and reports back by posting.

// TaskSupport says whether a tool may run as a task (execution.taskSupport).
type TaskSupport string

const (
	// TaskForbidden (or ""): the tool always answers synchronously.
	TaskForbidden TaskSupport = "forbidden"
	// TaskOptional: the call becomes a task when the client supports tasks
	// (modern: declares the extension; legacy: sends the task param).
	TaskOptional TaskSupport = "optional"
	// TaskRequired: the tool runs only as a task; a client that cannot take
	// one gets -32021 (modern) or -32601 (legacy, as 2025-11-25 says).
	TaskRequired TaskSupport = "required"
)

// ToolExecution is a tool's execution properties as tools/list shows them.
type ToolExecution struct {
	TaskSupport TaskSupport `json:"taskSupport,omitempty"`
}

// Task limits and their defaults (Options.TaskTTL, MaxTasks, TaskPollInterval).
const (
	// DefaultTaskTTL: a task and its result are kept this long after
	// creation; then tasks/get answers "not found" and the memory is freed.
	DefaultTaskTTL = 30 * time.Minute
	// DefaultMaxTasks bounds live tasks (all shards together); past it the
	// oldest finished task of the shard is dropped, and if none is finished
	// a new task is refused with -32000.
	DefaultMaxTasks = 100_000
	// DefaultTaskPollInterval is the pollIntervalMs suggested to clients.
	DefaultTaskPollInterval = 500 * time.Millisecond
)

// ExtTasks is the tasks extension's identifier.
const ExtTasks = "io.modelcontextprotocol/tasks"

// Task statuses.
const (
	taskWorking uint8 = iota
	taskInputRequired
	taskCompleted
	taskFailed
	taskCancelled
)

var taskStatusName = [...]string{"working", "input_required", "completed", "failed", "cancelled"}

func terminal(status uint8) bool { return status >= taskCompleted }

// task is one task. Owner shard goroutine only.
type task struct {
	id      string
	seq     uint64 // creation order on its shard (tasks/list cursors)
	legacy  bool   // created under 2025-11-25: its result is rendered that way
	status  uint8
	message string
	created time.Time
	updated time.Time
	expires int64    // unix nanos
	owner   *Session // legacy: the session that created it (tasks/list, notifications)
	// principal is who created it (nil: authorization off): only the same
	// subject may see, answer or cancel it (auth.go).
	principal *Principal

	// What a run needs, owned by the task (copied out of the request).
	tool    *toolEntry
	params  []byte // the tools/call params, for _meta (capabilities, progress)
	args    []byte // the arguments inside params, or "{}"
	reqID   []byte // the tools/call id: legacy progress and logs relate to it
	answers []taskAnswer

	running bool
	cancel  context.CancelFunc // of the current run, if running

	// Modern: the input requests the last run is waiting for.
	pending []inputRequest
	// Outcome.
	result []byte // completed: the CallToolResult object
	errObj []byte // failed: the JSON-RPC error object

	// Legacy: tasks/result requests waiting for the end, and questions
	// (elicitation, sampling, roots) waiting for a tasks/result stream.
	waiters   []taskWaiter
	questions []*taskQuestion
	// Modern: listen streams that asked for this task's notifications.
	subs []taskSub

	link [2]taskLinks // in taskShard.all and taskShard.done
}

type taskAnswer struct {
	key string
	val []byte
}

// taskWaiter is a request (tasks/result) answered when the task ends.
type taskWaiter struct {
	s  *Session
	id []byte
}

// taskSub is a subscriptions/listen stream told of the task's changes.
type taskSub struct {
	s      *Session
	listen []byte // the listen's raw id
}

// taskShard is the router's task table for one shard. Two intrusive lists
// order its tasks: by creation, which is also by expiry (one TTL for all),
// for the sweep; and by end, for dropping the oldest finished task when the
// table is full. Dropping unlinks a task from both at once, so nothing
// outlives its entry.
type taskShard struct {
	byID map[string]*task
	seq  uint64
	all  taskList // by creation
	done taskList // finished, by end

	sweepArmed bool // a timer will sweep the expired (armSweep)

	shard *shards.Shard // the owner, whose goroutine alone touches this
}

// taskList is an intrusive doubly linked list of tasks; which links it
// uses is fixed by the list (all: link[0], done: link[1]).
type taskList struct {
	head, tail *task
	which      int
}

type taskLinks struct{ prev, next *task }

func (l *taskList) push(t *task) {
	t.link[l.which] = taskLinks{prev: l.tail}
	if l.tail != nil {
		l.tail.link[l.which].next = t
	} else {
		l.head = t
	}
	l.tail = t
}

func (l *taskList) remove(t *task) {
	k := &t.link[l.which]
	if k.prev != nil {
		k.prev.link[l.which].next = k.next
	} else if l.head == t {
		l.head = k.next
	} else {
		return // not on this list
	}
	if k.next != nil {
		k.next.link[l.which].prev = k.prev
	} else {
		l.tail = k.prev
	}
	*k = taskLinks{}
}

// taskIDLen is 4 hex digits of shard index and 32 of randomness; a cluster
// node puts its id and a dot before them (SetTaskNode).
const taskIDLen = 4 + 32

// SetTaskNode makes the tasks created from now on carry node's id
// ("<node>.<36 hex digits>"), as a cluster node's session ids do, so any
// node can tell which one holds a task; this router then answers only for
// ids that name node ("": no node). Safe at any time.
func (r *Router) SetTaskNode(node string) {
	p := ""
	if node != "" {
		p = node + "."
	}
	r.taskPrefix.Store(&p)
}

// taskIDPrefix is "<node>." in a cluster, else "".
func (r *Router) taskIDPrefix() string {
	if p := r.taskPrefix.Load(); p != nil {
		return *p
	}
	return ""
}

// TaskNode returns the node a task id names ("" for an id without one).
func TaskNode(id []byte) []byte {
	if i := bytes.IndexByte(id, '.'); i > 0 && len(id)-i-1 == taskIDLen {
		return id[:i]
	}
	return nil
}

// newTaskID returns a fresh id owned by shard index idx.
func (r *Router) newTaskID(idx int) string {
	var b [2 + 16]byte
	b[0], b[1] = byte(idx>>8), byte(idx)
	if _, err := rand.Read(b[2:]); err != nil {
		panic("BUG: crypto/rand failed: " + err.Error())
	}
	return r.taskIDPrefix() + hex.EncodeToString(b[:])
}

// taskShardIndex derives the owning shard's index from a task id, -1 for
// an id this server cannot have issued (another node's included).
func (r *Router) taskShardIndex(id []byte) int {
	prefix := r.taskIDPrefix()
	if len(id) != len(prefix)+taskIDLen || string(id[:len(prefix)]) != prefix {
		return -1
	}
	n := 0
	for _, c := range id[len(prefix):][:4] {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		default:
			return -1
		}
		n = n<<4 | int(d)
	}
	return n
}

// taskOwner returns the shard state owning task id, or nil.
func (r *Router) taskOwner(id []byte) *shardState {
	i := r.taskShardIndex(id)
	tab := *r.local.Load()
	if i < 0 || i >= len(tab) {
		return nil
	}
	return tab[i]
}

// lookup returns the live task id on this shard, expiring it if its time
// is up. Shard goroutine.
func (ts *taskShard) lookup(r *Router, id string, now time.Time) *task {
	t := ts.byID[id]
	if t == nil {
		return nil
	}
	if now.UnixNano() > t.expires {
		r.dropTask(ts, t)
		return nil
	}
	return t
}

// sweepTasks drops the expired tasks, oldest first. Shard goroutine.
func (r *Router) sweepTasks(ts *taskShard, now int64) {
	for t := ts.all.head; t != nil && now > t.expires; t = ts.all.head {
		r.dropTask(ts, t)
	}
}

// armSweep schedules a sweep of shard st for when its oldest task expires,
// unless one is pending: an idle server frees expired results on time, and
// a shard without tasks has no timer. Shard goroutine.
func (r *Router) armSweep(st *shardState) {
	ts := &st.tasks
	if ts.sweepArmed || ts.all.head == nil {
		return
	}
	ts.sweepArmed = true
	wait := time.Duration(ts.all.head.expires-time.Now().UnixNano()) + time.Millisecond
	time.AfterFunc(wait, func() {
		// Waits out a full inbox: a lost sweep would leave sweepArmed set
		// and the expired tasks held until a request happened by. A
		// stopped shard (the error) takes its tasks with it.
		_ = postSure(st.shard, func() {
			ts.sweepArmed = false
			r.sweepTasks(ts, time.Now().UnixNano())
			r.armSweep(st)
		})
	})
}

// dropTask forgets t: a running handler is cancelled, waiters get an error.
func (r *Router) dropTask(ts *taskShard, t *task) {
	if ts.byID[t.id] != t {
		return
	}
	delete(ts.byID, t.id)
	ts.all.remove(t)
	ts.done.remove(t)
	r.taskLive.Add(-1)
	if t.cancel != nil {
		t.cancel()
	}
	for _, w := range t.waiters {
		w.s.deliverError(w.id, codec.CodeInvalidParams, "Task has expired", ts.shard)
	}
	t.waiters = nil
	r.dropQuestions(t)
	t.pending, t.answers, t.result, t.errObj, t.subs = nil, nil, nil, nil, nil
	t.params, t.args, t.tool, t.owner = nil, nil, nil, nil
}

var (
	errTaskGone    = errors.New("the task was cancelled or has expired")
	errTooManyTask = &RPCError{Code: codec.CodeServerBusy, Message: "server busy: too many tasks, retry later"}
)

// createTask makes a task on shard st for a tools/call of tool e. params is
// the call's params (copied). It reports nil when the task table is full of
// unfinished tasks. Shard goroutine.
func (r *Router) createTask(st *shardState, e *toolEntry, params, reqID []byte, owner *Session, legacy bool) *task {
	ts := &st.tasks
	now := time.Now()
	r.sweepTasks(ts, now.UnixNano())
	if r.taskLive.Load() >= int64(r.opts.MaxTasks) {
		// Make room from this shard's oldest finished task, if any.
		for ts.done.head != nil && r.taskLive.Load() >= int64(r.opts.MaxTasks) {
			r.dropTask(ts, ts.done.head)
		}
		if r.taskLive.Load() >= int64(r.opts.MaxTasks) {
			return nil
		}
	}
	if ts.byID == nil {
		ts.byID = make(map[string]*task)
		ts.done.which = 1
	}
	own := append([]byte(nil), params...)
	args, ok := codec.ObjectField(own, "arguments")
	if !ok || codec.IsNull(args) {
		args = emptyObject
	}
	ts.seq++
	t := &task{
		id: r.newTaskID(st.shard.ID), seq: ts.seq, legacy: legacy, status: taskWorking,
		created: now, updated: now, expires: now.Add(r.opts.TaskTTL).UnixNano(), owner: owner,
		tool: e, params: own, args: args, reqID: append([]byte(nil), reqID...),
	}
	for ts.byID[t.id] != nil { // 128 random bits: never, but cheap to rule out
		t.id = r.newTaskID(st.shard.ID)
	}
	ts.byID[t.id] = t
	ts.all.push(t)
	r.taskLive.Add(1)
	r.armSweep(st)
	return t
}

// setStatus moves t to status and tells whoever listens. Shard goroutine.
func (r *Router) setStatus(st *shardState, t *task, status uint8, message string) {
	if terminal(t.status) {
		return // terminal states never change (both specs)
	}
	t.status, t.message, t.updated = status, message, time.Now()
	r.notifyTask(st, t) // before the waiters' answers: a stream sees the change first
	if terminal(status) {
		t.pending = nil
		st.tasks.done.push(t)
		for _, w := range t.waiters {
			r.answerTaskResult(st, w.s, w.id, t)
		}
		t.waiters = nil
		r.dropQuestions(t)
	}
}

// deliver sends a complete message to session s, which may live on another
// shard than the calling goroutine's (then it is posted, msg copied).
// Called on onShard's goroutine, so the post cannot wait for room (loop to
// loop waiting deadlocks); gnet loops' queues are unbounded, and a full
// net/http or stdio shard inbox keeps it until there is room (postOrKeep).
func (s *Session) deliver(kind MsgKind, id, msg []byte, onShard *shards.Shard) {
	if s.shard == onShard {
		if !s.closed {
			s.out.Send(kind, id, msg)
		}
		return
	}
	own := append([]byte(nil), msg...)
	ownID := append([]byte(nil), id...)
	_ = s.r.postOrKeep(s.shard, func() {
		if !s.closed {
			s.out.Send(kind, ownID, own)
		}
	})
}

// deliverError answers request id of s with an error, from shard
// onShard's goroutine (s may live on another).
func (s *Session) deliverError(id []byte, code int, msg string, onShard *shards.Shard) {
	s.deliver(MsgResponse, id, codec.AppendError(nil, id, code, msg, nil), onShard)
}

// onTask runs fn on the shard that owns task id, with the task (nil when
// unknown or expired) and a buffer to render the whole answer to request q
// into, then sends the answer on q's session. On q's own shard it all
// happens at once; otherwise q's session stays open (escaped) until the
// answer comes back. fn returns the message, or nil when it answered (or
// will answer) by itself.
func (r *Router) onTask(q *request, id []byte, fn func(st *shardState, t *task, qid []byte) []byte) {
	s := q.s
	st := r.taskOwner(id)
	if st == nil {
		s.replyError(q.id, codec.CodeInvalidParams, "Failed to retrieve task: Task not found", nil)
		return
	}
	who := s.principal
	if st.shard == s.shard {
		t := visibleTask(st.tasks.lookup(r, string(id), time.Now()), who)
		if msg := fn(st, t, q.id); msg != nil {
			s.sendAnswer(q.id, msg)
		}
		return
	}
	s.escaped = true
	qid := append([]byte(nil), q.id...)
	key := string(id)
	err := st.shard.Post(func() {
		t := visibleTask(st.tasks.lookup(r, key, time.Now()), who)
		if msg := fn(st, t, qid); msg != nil {
			s.deliver(MsgResponse, qid, msg, st.shard)
		}
	})
	switch {
	case errors.Is(err, shards.ErrInboxFull):
		// Loop to loop the post cannot wait (two loops waiting on each
		// other's inboxes would deadlock), but the task lives on: "not
		// found" would tell the client to give it up.
		s.replyError(q.id, codec.CodeServerBusy, "server busy: the task's loop is backed up, retry later", r.retryAfterData())
	case err != nil:
		s.replyError(q.id, codec.CodeInvalidParams, "Failed to retrieve task: Task not found", nil)
	}
}

// taskIDParam returns params.taskId unquoted, answering the error itself
// when it is missing.
func taskIDParam(q *request) ([]byte, bool) {
	v, ok := codec.ObjectField(q.params, "taskId")
	if !ok || !codec.IsString(v) {
		q.s.replyError(q.id, codec.CodeInvalidParams, string(q.method)+": taskId must be a string", nil)
		return nil, false
	}
	id, err := codec.Unquote(nil, v)
	if err != nil {
		q.s.replyError(q.id, codec.CodeInvalidParams, string(q.method)+": bad taskId", nil)
		return nil, false
	}
	return id, true
}

// appendTime writes an ISO 8601 UTC timestamp string with milliseconds.
func appendTime(dst []byte, t time.Time) []byte {
	dst = append(dst, '"')
	dst = t.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000Z07:00")
	return append(dst, '"')
}

// appendTaskFields writes the Task members (no braces): the modern names
// (ttlMs, pollIntervalMs) or the 2025-11-25 ones (ttl, pollInterval).
func (r *Router) appendTaskFields(dst []byte, t *task, legacy bool) []byte {
	dst = append(dst, `"taskId":"`...)
	dst = append(dst, t.id...)
	dst = append(dst, `","status":"`...)
	dst = append(dst, taskStatusName[t.status]...)
	dst = append(dst, '"')
	if t.message != "" {
		dst = append(dst, `,"statusMessage":`...)
		dst = codec.AppendString(dst, t.message)
	}
	dst = append(dst, `,"createdAt":`...)
	dst = appendTime(dst, t.created)
	dst = append(dst, `,"lastUpdatedAt":`...)
	dst = appendTime(dst, t.updated)
	if legacy {
		dst = append(dst, `,"ttl":`...)
	} else {
		dst = append(dst, `,"ttlMs":`...)
	}
	dst = appendInt(dst, int(r.opts.TaskTTL.Milliseconds()))
	if legacy {
		dst = append(dst, `,"pollInterval":`...)
	} else {
		dst = append(dst, `,"pollIntervalMs":`...)
	}
	return appendInt(dst, int(r.opts.TaskPollInterval.Milliseconds()))
}

// appendDetail writes the status-specific members of a DetailedTask:
// inputRequests, result or error.
func appendDetail(dst []byte, t *task) []byte {
	switch t.status {
	case taskInputRequired:
		if len(t.pending) > 0 {
			dst = append(dst, `,"inputRequests":`...)
			dst = appendInputRequests(dst, t.pending)
		}
	case taskCompleted:
		dst = append(dst, `,"result":`...)
		dst = append(dst, t.result...)
	case taskFailed:
		dst = append(dst, `,"error":`...)
		dst = append(dst, t.errObj...)
	}
	return dst
}

// appendInputRequests writes an inputRequests map.
func appendInputRequests(dst []byte, reqs []inputRequest) []byte {
	dst = append(dst, '{')
	for i, in := range reqs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = codec.AppendString(dst, in.key)
		dst = append(dst, `:{"method":`...)
		dst = codec.AppendString(dst, in.method)
		dst = append(dst, `,"params":`...)
		dst = append(dst, in.params...)
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

// responsesJSON renders a task's collected answers as an inputResponses
// object, nil when there are none.
func (t *task) responsesJSON() []byte {
	if len(t.answers) == 0 {
		return nil
	}
	out := []byte{'{'}
	for i, a := range t.answers {
		if i > 0 {
			out = append(out, ',')
		}
		out = codec.AppendString(out, a.key)
		out = append(out, ':')
		out = append(out, a.val...)
	}
	return append(out, '}')
}

// addAnswers records the answers of a responses object (keys not already
// answered); only keys in want are taken when want is not nil.
func (t *task) addAnswers(obj []byte, want []inputRequest) {
	codec.ObjectEach(obj, func(k, v []byte) bool {
		key := plainKey(k)
		if want != nil && !hasKey(want, key) {
			return true
		}
		for _, a := range t.answers {
			if a.key == key {
				return true
			}
		}
		t.answers = append(t.answers, taskAnswer{key: key, val: append([]byte(nil), v...)})
		return true
	})
}

func hasKey(reqs []inputRequest, key string) bool {
	for _, in := range reqs {
		if in.key == key {
			return true
		}
	}
	return false
}
