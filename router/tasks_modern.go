package router

import (
	"github.com/densemcp/densemcp/codec"
)

// The tasks extension's methods (2026-07-28, SEP-2663). tasks/result and
// tasks/list do not exist there and stay "method not found".

// handleModernTasks routes tasks/get, tasks/update and tasks/cancel,
// reporting whether the method was one of them.
func (r *Router) handleModernTasks(q *request) bool {
	switch string(q.method) {
	case "tasks/get", "tasks/update", "tasks/cancel":
	default:
		return false
	}
	if !q.tasksDeclared() {
		q.s.replyError(q.id, codec.CodeMissingClientCapability, "Missing required client capability: "+ExtTasks,
			[]byte(`{"requiredCapabilities":{"extensions":{"`+ExtTasks+`":{}}}}`))
		return true
	}
	id, ok := taskIDParam(q)
	if !ok {
		return true
	}
	switch string(q.method) {
	case "tasks/get":
		r.onTask(q, id, r.modernGet)
	case "tasks/cancel":
		r.onTask(q, id, r.modernCancel)
	case "tasks/update":
		ir, present := codec.ObjectField(q.params, "inputResponses")
		bad := !present || !codec.IsObject(ir)
		codec.ObjectEach(ir, func(_, v []byte) bool { bad = bad || !codec.IsObject(v); return !bad })
		if bad {
			q.s.replyError(q.id, codec.CodeInvalidParams, "tasks/update: inputResponses must be an object of result objects", nil)
			return true
		}
		ir = append([]byte(nil), ir...) // it may cross to the owner's shard
		r.onTask(q, id, func(st *shardState, t *task, qid []byte) []byte { return r.modernUpdate(st, t, qid, ir) })
	}
	return true
}

func taskNotFound(qid []byte) []byte {
	return codec.AppendError(nil, qid, codec.CodeInvalidParams, "Failed to retrieve task: Task not found", nil)
}

// modernAck is the empty acknowledgement of tasks/update and tasks/cancel.
func (r *Router) modernAck(qid []byte) []byte {
	b := codec.AppendResultHead(nil, qid)
	b = append(b, `{"resultType":"complete","_meta":{"io.modelcontextprotocol/serverInfo":`...)
	b = append(b, r.infoJSON...)
	b = append(b, `}}`...)
	return codec.AppendResultTail(b)
}

// modernGet answers tasks/get with the DetailedTask. Owner shard.
func (r *Router) modernGet(_ *shardState, t *task, qid []byte) []byte {
	if t == nil {
		return taskNotFound(qid)
	}
	b := codec.AppendResultHead(nil, qid)
	b = append(b, `{"resultType":"complete",`...)
	b = r.appendTaskFields(b, t, false)
	b = appendDetail(b, t)
	b = append(b, `,"_meta":{"io.modelcontextprotocol/serverInfo":`...)
	b = append(b, r.infoJSON...)
	b = append(b, `}}`...)
	return codec.AppendResultTail(b)
}

// modernCancel acknowledges tasks/cancel; a task still running settles to
// cancelled at once and its handler's context is cancelled. Cancelling a
// finished task is acknowledged the same way (idempotent). Owner shard.
func (r *Router) modernCancel(st *shardState, t *task, qid []byte) []byte {
	if t == nil {
		return taskNotFound(qid)
	}
	r.cancelTask(st, t)
	return r.modernAck(qid)
}

// cancelTask moves a task that has not ended to cancelled. Owner shard.
func (r *Router) cancelTask(st *shardState, t *task) {
	if terminal(t.status) {
		return
	}
	if t.cancel != nil {
		t.cancel()
	}
	r.dropQuestions(t)
	r.setStatus(st, t, taskCancelled, "The task was cancelled by request.")
}

// modernUpdate takes answers to the task's outstanding inputRequests:
// others are ignored (unknown, answered, superseded keys); once none is
// outstanding the handler runs again with every answer so far. Owner shard.
func (r *Router) modernUpdate(st *shardState, t *task, qid, responses []byte) []byte {
	if t == nil {
		return taskNotFound(qid)
	}
	if t.status != taskInputRequired || len(t.pending) == 0 {
		return r.modernAck(qid)
	}
	before := len(t.answers)
	t.addAnswers(responses, t.pending)
	if len(t.answers) == before {
		return r.modernAck(qid)
	}
	left := t.pending[:0:0]
	for _, in := range t.pending {
		answered := false
		for _, a := range t.answers[before:] {
			if a.key == in.key {
				answered = true
				break
			}
		}
		if !answered {
			left = append(left, in)
		}
	}
	t.pending = left
	if len(left) > 0 {
		r.setStatus(st, t, taskInputRequired, t.message) // a smaller set: tell listeners
		return r.modernAck(qid)
	}
	r.setStatus(st, t, taskWorking, "")
	if err := r.runTask(st, t); err != nil {
		t.errObj = errorObject(codec.CodeServerBusy, "server busy: cannot resume the task", nil)
		r.setStatus(st, t, taskFailed, "server busy: cannot resume the task")
	}
	return r.modernAck(qid)
}
