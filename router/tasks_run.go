package router

import (
	"context"
	"errors"

	"github.com/densemcp/densemcp/codec"
)

// How a tools/call relates to tasks, decided before it runs.
const (
	taskNo       uint8 = iota // an ordinary call
	taskNow                   // a task at once: CreateTaskResult before the handler runs
	taskDeferred              // an ordinary call until the handler calls StartTask
)

// taskRun is what a handler running as a task carries (Request.task).
type taskRun struct {
	t      *task // touched on st's goroutine only
	st     *shardState
	id     string
	legacy bool
}

// deferredTask lets the handler of a DeferTask tool start its task.
type deferredTask struct {
	e *toolEntry
	c *call
}

// ErrNoTask is returned by StartTask when the call cannot become a task:
// the tool does not support tasks, the client did not declare them, or the
// handler runs inline.
var ErrNoTask = errors.New("this call cannot become a task")

// taskModeOf decides how tools/call q of tool e relates to tasks, answering
// the error itself when the call cannot proceed (ok false). Modern: a task
// when the request declares the tasks extension and the tool supports
// tasks; a required tool without it is -32021. Legacy (2025-11-25 only): a
// task when the client sent the task param; a forbidden tool with it, or a
// required tool without it, is -32601 as that revision says.
func (r *Router) taskModeOf(q *request, e *toolEntry, taskParam []byte) (mode uint8, ok bool) {
	support := TaskForbidden
	if e.tool.Execution != nil && e.tool.Execution.TaskSupport != "" {
		support = e.tool.Execution.TaskSupport
	}
	s := q.s
	if s.era == EraModern {
		if support == TaskForbidden {
			return taskNo, true // a legacy task param does not promote it
		}
		if !q.tasksDeclared() {
			if support == TaskRequired {
				s.replyError(q.id, codec.CodeMissingClientCapability, "Missing required client capability: the tool "+e.tool.Name+" runs only as a task",
					[]byte(`{"requiredCapabilities":{"extensions":{"`+ExtTasks+`":{}}}}`))
				return taskNo, false
			}
			return taskNo, true
		}
		if e.tool.DeferTask {
			return taskDeferred, true
		}
		return taskNow, true
	}
	if s.version != legacyTasksVersion {
		return taskNo, true // tasks did not exist before 2025-11-25
	}
	switch {
	case taskParam != nil && !codec.IsObject(taskParam):
		s.replyError(q.id, codec.CodeInvalidParams, "tools/call: task must be an object", nil)
		return taskNo, false
	case taskParam != nil && support == TaskForbidden:
		s.replyError(q.id, codec.CodeMethodNotFound, "the tool "+e.tool.Name+" does not support task-augmented calls", nil)
		return taskNo, false
	case taskParam == nil && support == TaskRequired:
		s.replyError(q.id, codec.CodeMethodNotFound, "the tool "+e.tool.Name+" must be called as a task", nil)
		return taskNo, false
	case taskParam != nil:
		return taskNow, true
	}
	return taskNo, true
}

// legacyTasksVersion is the legacy revision that has tasks.
const legacyTasksVersion = "2025-11-25"

// tasksDeclared reports whether a modern request declared the tasks
// extension in its client capabilities.
func (q *request) tasksDeclared() bool {
	return declared(clientCapsOf(q.s, q.meta), "extensions", ExtTasks)
}

// stateOf returns the router's state of shard sh.
func (r *Router) stateOf(id int) *shardState { return (*r.local.Load())[id] }

// startTaskNow creates a task for tools/call q of tool e, answers the
// CreateTaskResult and runs the handler on the worker pool.
func (r *Router) startTaskNow(q *request, e *toolEntry) {
	s := q.s
	st := r.stateOf(s.shard.ID)
	legacy := s.era != EraModern
	var owner *Session
	if legacy {
		owner = s
		s.escaped = true // the task's run reaches back to the session
	}
	t := r.createTask(st, e, q.params, q.id, owner, legacy)
	if t == nil {
		r.refuseTask(q)
		return
	}
	t.principal = s.principal
	if err := r.runTask(st, t); err != nil {
		r.dropTask(&st.tasks, t)
		r.refuse(q.s, q.id, RefusedWorkers)
		return
	}
	buf := s.beginResult(q.id)
	buf = r.appendCreateTaskResult(buf, t, legacy)
	s.endResult(q.id, buf)
}

func (r *Router) refuseTask(q *request) {
	q.s.replyError(q.id, errTooManyTask.Code, errTooManyTask.Message, r.retryAfterData())
}

// retryAfterData is the data of a "server busy" error: {"retryAfterMs":n}.
func (r *Router) retryAfterData() []byte {
	data := append([]byte(`{"retryAfterMs":`), appendInt(nil, int(r.pool.RetryAfter.Milliseconds()))...)
	return append(data, '}')
}

// appendCreateTaskResult writes a CreateTaskResult: flat with resultType
// "task" in the modern era, {"task":{...}} in 2025-11-25.
func (r *Router) appendCreateTaskResult(dst []byte, t *task, legacy bool) []byte {
	if legacy {
		dst = append(dst, `{"task":{`...)
		dst = r.appendTaskFields(dst, t, true)
		return append(dst, `}}`...)
	}
	dst = append(dst, `{"resultType":"task",`...)
	dst = r.appendTaskFields(dst, t, false)
	dst = append(dst, `,"_meta":{"io.modelcontextprotocol/serverInfo":`...)
	dst = append(dst, r.infoJSON...)
	return append(dst, `}}`...)
}

// discardTransport drops what a modern task's handler emits: progress and
// logs have no stream to go to once the call was answered with a task
// (SEP-2663 does not carry them for tasks).
type discardTransport struct{}

func (discardTransport) Send(MsgKind, []byte, []byte) {}

// runTask runs (or runs again, after its input arrived) t's handler on the
// worker pool. Shard goroutine.
func (r *Router) runTask(st *shardState, t *task) error {
	sess := t.owner
	if sess == nil {
		sess = &Session{era: EraModern, out: discardTransport{}, shard: st.shard, r: r}
		sess.logLevel.Store(int32(levelUnset))
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.opts.HandlerTimeout)
	req := &Request{}
	rq := request{s: sess, id: t.reqID, method: []byte("tools/call"), params: t.params}
	req.begin(&rq, ctx, false)
	req.principal = t.principal // the creator's, whoever asked since
	req.responses = t.responsesJSON()
	req.task = &taskRun{t: t, st: st, id: t.id, legacy: t.legacy}
	tg := target{kind: targetTool, tool: t.tool}
	args := t.args
	err := r.pool.Submit(func() {
		r.execute(req, &tg, args)
		r.finishTaskRun(req, &tg, cancel)
	})
	if err != nil {
		cancel()
		return err
	}
	t.running, t.cancel = true, cancel
	return nil
}

// finishTaskRun records what a run of a task's handler came to: more input
// needed (modern), a protocol error (failed), or the tool result
// (completed, isError included). Worker goroutine; cancel (may be nil)
// ends the run's context once recorded.
func (r *Router) finishTaskRun(req *Request, tg *target, cancel context.CancelFunc) {
	tr := req.task
	era := EraModern
	if tr.legacy {
		era = EraLegacy
	}
	status, msg := taskCompleted, ""
	var payload []byte
	var pending []inputRequest
	switch {
	case len(req.inputRequests) > 0 && !tr.legacy:
		status, msg = taskInputRequired, "The task is waiting for input from the client."
		pending = req.inputRequests
	case req.err != nil:
		code, m, data := errorOf(req.err, era)
		status, msg, payload = taskFailed, m, errorObject(code, m, data)
	default:
		buf, err := r.appendToolResult(nil, era, tg.tool, &req.Result)
		if err != nil {
			status, msg, payload = taskFailed, err.Error(), errorObject(codec.CodeInternalError, err.Error(), nil)
		} else {
			payload = buf
		}
	}
	st := tr.st
	// Waits out a full inbox: the outcome is the task's only way to leave
	// "working", and nothing else would ever carry the result there.
	err := postSure(st.shard, func() {
		if cancel != nil {
			cancel()
		}
		t := tr.t
		if st.tasks.byID[t.id] != t {
			return // dropped (expired) meanwhile
		}
		t.running, t.cancel = false, nil
		if terminal(t.status) {
			return // cancelled while it ran: the outcome is dropped
		}
		switch status {
		case taskInputRequired:
			t.pending = pending
		case taskFailed:
			t.errObj = payload
		case taskCompleted:
			t.result = payload
		}
		r.setStatus(st, t, status, msg)
	})
	if err != nil && cancel != nil {
		cancel() // the shard is gone, and its tasks with it
	}
}

// errorObject renders a JSON-RPC error object.
func errorObject(code int, msg string, data []byte) []byte {
	b := append([]byte(`{"code":`), appendInt(nil, code)...)
	b = append(b, `,"message":`...)
	b = codec.AppendString(b, msg)
	if data != nil {
		b = append(b, `,"data":`...)
		b = append(b, data...)
	}
	return append(b, '}')
}

// StartTask turns the running call into a task, for tools registered with
// DeferTask: the client gets its CreateTaskResult now, and what the handler
// returns from here on becomes the task's result. Before it, the call is an
// ordinary one (a modern handler may gather input with input_required
// rounds first, as SEP-2663 recommends). It returns the task id; calling it
// again, or in a call that already is a task, returns the same id. It
// fails with ErrNoTask when the call cannot become one, and with a
// "server busy" error when the task table is full. Worker goroutine (not
// for Inline handlers).
func (q *Request) StartTask() (string, error) {
	if q.task != nil {
		return q.task.id, nil
	}
	d := q.deferred
	if d == nil || q.onLoop {
		return "", ErrNoTask
	}
	s, r := q.session, q.r
	st := r.stateOf(s.shard.ID)
	params, id, responses, principal := q.params, q.id, q.responses, q.principal
	type started struct {
		t   *task
		err error
	}
	ch := make(chan started, 1)
	// A full inbox is a busy shard, not a cancelled call: wait for room
	// (this goroutine waits for the answer anyway).
	err := postSure(s.shard, func() {
		if d.c.cancelled || s.closed {
			ch <- started{err: context.Canceled}
			return
		}
		t := r.createTask(st, d.e, params, id, nil, false)
		if t == nil {
			ch <- started{err: errTooManyTask}
			return
		}
		t.principal = principal
		t.addAnswers(responses, nil) // MRTR rounds before the task replay on re-runs
		t.running, t.cancel = true, d.c.cancel
		// From now on the task carries the outcome: the pooled call sends
		// no answer of its own, and notifications/cancelled no longer
		// reaches it (tasks are cancelled with tasks/cancel).
		d.c.cancelled = true
		if s.inflight[string(id)] == d.c {
			delete(s.inflight, string(id))
		}
		buf := s.beginResult(id)
		buf = r.appendCreateTaskResult(buf, t, false)
		s.endResult(id, buf)
		ch <- started{t: t}
	})
	if err != nil {
		return "", context.Canceled
	}
	res := <-ch
	if res.err != nil {
		return "", res.err
	}
	q.task = &taskRun{t: res.t, st: st, id: res.t.id}
	return res.t.id, nil
}

// TaskID returns the id of the task the handler runs as, or "".
func (q *Request) TaskID() string {
	if q.task == nil {
		return ""
	}
	return q.task.id
}
