package router

import (
	"encoding/base64"
	"strconv"
	"time"

	"github.com/densemcp/densemcp/codec"
)

// The 2025-11-25 tasks (SEP-1686) on legacy sessions: tasks/get,
// tasks/result, tasks/list, tasks/cancel and notifications/tasks/status.

// handleLegacyTasks routes the legacy task methods, reporting whether the
// method was one of them. Sessions that negotiated an older revision have
// none.
func (r *Router) handleLegacyTasks(q *request) bool {
	switch string(q.method) {
	case "tasks/get", "tasks/result", "tasks/cancel", "tasks/list":
	default:
		return false
	}
	if q.s.version != legacyTasksVersion {
		return false
	}
	if string(q.method) == "tasks/list" {
		r.legacyList(q)
		return true
	}
	id, ok := taskIDParam(q)
	if !ok {
		return true
	}
	switch string(q.method) {
	case "tasks/get":
		r.onTask(q, id, r.legacyGet)
	case "tasks/cancel":
		r.onTask(q, id, r.legacyCancel)
	case "tasks/result":
		s := q.s
		r.onTask(q, id, func(st *shardState, t *task, qid []byte) []byte { return r.legacyResult(st, t, s, qid) })
	}
	return true
}

func (r *Router) legacyTaskResult(qid []byte, t *task) []byte {
	b := codec.AppendResultHead(nil, qid)
	b = append(b, '{')
	b = r.appendTaskFields(b, t, true)
	b = append(b, '}')
	return codec.AppendResultTail(b)
}

// legacyGet answers tasks/get with the Task. Owner shard.
func (r *Router) legacyGet(_ *shardState, t *task, qid []byte) []byte {
	if t == nil {
		return taskNotFound(qid)
	}
	return r.legacyTaskResult(qid, t)
}

// legacyCancel cancels a task that has not ended and answers the Task in
// its cancelled state; a finished task cannot be cancelled (-32602).
func (r *Router) legacyCancel(st *shardState, t *task, qid []byte) []byte {
	if t == nil {
		return taskNotFound(qid)
	}
	if terminal(t.status) {
		return codec.AppendError(nil, qid, codec.CodeInvalidParams, "Cannot cancel a task in a terminal status ("+taskStatusName[t.status]+")", nil)
	}
	r.cancelTask(st, t)
	return r.legacyTaskResult(qid, t)
}

// legacyResult answers tasks/result: at once for a finished task, else
// when it ends. While the task waits for input, its questions go out on
// this request's stream (the 2025-11-25 way: the client calls tasks/result
// on input_required and answers what arrives there). Owner shard.
func (r *Router) legacyResult(_ *shardState, t *task, s *Session, qid []byte) []byte {
	if t == nil {
		return taskNotFound(qid)
	}
	if terminal(t.status) {
		return r.taskResultMessage(qid, t)
	}
	s.escaped = true                  // answered later, maybe from this shard's goroutine
	qid = append([]byte(nil), qid...) // on the asker's shard it is the loop's buffer
	t.waiters = append(t.waiters, taskWaiter{s: s, id: qid})
	if s == t.owner {
		for _, qn := range t.questions {
			r.sendQuestion(t, qn, qid)
		}
	}
	return nil
}

// taskResultMessage is what tasks/result answers for a finished task:
// exactly what the call would have returned, tagged with the task.
func (r *Router) taskResultMessage(qid []byte, t *task) []byte {
	switch t.status {
	case taskCompleted:
		b := codec.AppendResultHead(nil, qid)
		res := t.result
		if n := len(res); n > 0 && res[n-1] == '}' {
			b = append(b, res[:n-1]...)
			if n > 2 {
				b = append(b, ',')
			}
			b = append(b, `"_meta":{"io.modelcontextprotocol/related-task":{"taskId":"`...)
			b = append(b, t.id...)
			b = append(b, `"}}}`...)
		}
		return codec.AppendResultTail(b)
	case taskFailed:
		code, _ := codec.ObjectField(t.errObj, "code")
		msg, _ := codec.ObjectField(t.errObj, "message")
		data, _ := codec.ObjectField(t.errObj, "data")
		m, _ := codec.Unquote(nil, msg)
		return codec.AppendError(nil, qid, int(parseInt(code)), string(m), data)
	}
	return codec.AppendError(nil, qid, codec.CodeInvalidParams, "The task was cancelled; it has no result", nil)
}

func parseInt(b []byte) int64 {
	if len(b) > 0 && b[0] == '-' {
		return -parseUint(b[1:])
	}
	return parseUint(b)
}

// answerTaskResult answers a waiting tasks/result. Owner shard st.
func (r *Router) answerTaskResult(st *shardState, s *Session, qid []byte, t *task) {
	s.deliver(MsgResponse, qid, r.taskResultMessage(qid, t), st.shard)
}

// legacyList answers tasks/list with the session's own tasks (a task id is
// a bearer handle, so others' tasks are never listed), oldest first.
func (r *Router) legacyList(q *request) {
	s := q.s
	after, ok := taskCursor(q)
	if !ok {
		s.replyError(q.id, codec.CodeInvalidParams, "Invalid cursor", nil)
		return
	}
	st := r.stateOf(s.shard.ID)
	now := time.Now().UnixNano()
	buf := s.beginResult(q.id)
	buf = append(buf, `{"tasks":[`...)
	n := 0
	var last uint64
	more := false
	for t := st.tasks.all.head; t != nil; t = t.link[0].next {
		if t.owner != s || t.seq <= after || now > t.expires {
			continue
		}
		if n == r.opts.PageSize {
			more = true
			break
		}
		if n > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, '{')
		buf = r.appendTaskFields(buf, t, true)
		buf = append(buf, '}')
		n++
		last = t.seq
	}
	buf = append(buf, ']')
	if more {
		buf = append(buf, `,"nextCursor":"`...)
		buf = base64.RawURLEncoding.AppendEncode(buf, strconv.AppendUint([]byte("t1:"), last, 10))
		buf = append(buf, '"')
	}
	buf = append(buf, '}')
	s.endResult(q.id, buf)
}

// taskCursor decodes a tasks/list cursor: the creation number of the last
// task of the previous page.
func taskCursor(q *request) (uint64, bool) {
	tok, present := codec.ObjectField(q.params, "cursor")
	if !present || codec.IsNull(tok) {
		return 0, true
	}
	if !codec.IsString(tok) || len(tok) > 64 {
		return 0, false
	}
	str, err := codec.Unquote(nil, tok)
	if err != nil {
		return 0, false
	}
	dec, err := base64.RawURLEncoding.DecodeString(string(str))
	if err != nil || len(dec) < 4 || string(dec[:3]) != "t1:" {
		return 0, false
	}
	v := parseUint(dec[3:])
	return uint64(v), v >= 0
}

// taskQuestion is a server→client request (elicitation, sampling, roots)
// a legacy task's handler waits on. It is registered with the owner
// session like any server→client request and sent on every tasks/result
// stream of that session until answered.
type taskQuestion struct {
	id     []byte // the JSON-RPC id, unique to the task
	method string
	params []byte
	ch     chan clientAnswer
}

// askInTask asks the client from a legacy task's handler: the task goes to
// input_required, the question goes out on the owner's tasks/result
// streams (now and later), and the handler waits for the answer or for its
// context. Worker goroutine.
func (q *Request) askInTask(method, capability string, params, out any) error {
	if !q.hasCapability(capability) {
		return &CapabilityError{Capability: capability}
	}
	body, err := codec.AppendJSON(nil, params)
	if err != nil {
		return err
	}
	tr := q.task
	body = withRelatedTask(body, tr.id)
	seq := q.session.outSeq.Add(1)
	qn := &taskQuestion{method: method, params: body, ch: make(chan clientAnswer, 1)}
	qn.id = strconv.AppendUint(append([]byte(`"densemcp-task-`), tr.id+"-"...), seq, 10)
	qn.id = append(qn.id, '"')
	r, st := q.r, tr.st
	// Both posts wait out a full inbox (a busy shard is no gone task), and
	// the second frees what the first registered: the owner's pending
	// entry, the question re-sent on every tasks/result stream, and the
	// input_required status. Worker goroutine, never the shard's.
	err = postSure(st.shard, func() {
		t := tr.t
		if st.tasks.byID[t.id] != t || terminal(t.status) || t.owner == nil || t.owner.closed {
			qn.ch <- clientAnswer{err: errTaskGone}
			return
		}
		if t.owner.pending == nil {
			t.owner.pending = make(map[string]chan clientAnswer)
		}
		t.owner.pending[string(qn.id)] = qn.ch
		t.questions = append(t.questions, qn)
		r.setStatus(st, t, taskInputRequired, "The task is waiting for input from the client: call tasks/result.")
		for _, w := range t.waiters {
			if w.s == t.owner {
				r.sendQuestion(t, qn, w.id)
			}
		}
	})
	if err != nil {
		return errTaskGone
	}
	var a clientAnswer
	select {
	case a = <-qn.ch:
	case <-q.ctx.Done():
		a.err = q.ctx.Err()
	}
	_ = postSure(st.shard, func() {
		t := tr.t
		if t.owner != nil {
			delete(t.owner.pending, string(qn.id))
		}
		for i, x := range t.questions {
			if x == qn {
				t.questions = append(t.questions[:i], t.questions[i+1:]...)
				break
			}
		}
		if len(t.questions) == 0 && t.status == taskInputRequired && st.tasks.byID[t.id] == t {
			r.setStatus(st, t, taskWorking, "")
		}
	})
	if a.err != nil {
		return a.err
	}
	if a.errObj != nil {
		var ce ClientError
		_ = codec.Unmarshal(a.errObj, &ce)
		return &ce
	}
	return codec.Unmarshal(a.result, out)
}

// sendQuestion sends qn on the stream of request related (a tasks/result
// of the owner session). Owner shard.
func (r *Router) sendQuestion(t *task, qn *taskQuestion, related []byte) {
	s := t.owner
	if s == nil || s.closed {
		return
	}
	s.out.Send(MsgRelated, related, codec.AppendRequest(nil, qn.id, qn.method, qn.params))
}

// dropQuestions ends every question of t with errTaskGone. Owner shard.
func (r *Router) dropQuestions(t *task) {
	for _, qn := range t.questions {
		if t.owner != nil {
			delete(t.owner.pending, string(qn.id))
		}
		select {
		case qn.ch <- clientAnswer{err: errTaskGone}:
		default:
		}
	}
	t.questions = nil
}

// withRelatedTask adds _meta io.modelcontextprotocol/related-task to the
// params object of a task's server→client request (into its _meta if the
// params have one).
func withRelatedTask(params []byte, id string) []byte {
	if !codec.IsObject(params) {
		return params
	}
	related := append([]byte(`"io.modelcontextprotocol/related-task":{"taskId":"`), id...)
	related = append(related, `"}`...)
	out := []byte{'{'}
	n := 0
	hasMeta := false
	codec.ObjectEach(params, func(k, v []byte) bool {
		if n > 0 {
			out = append(out, ',')
		}
		n++
		if plainKey(k) == "_meta" && codec.IsObject(v) {
			hasMeta = true
			out = append(out, `"_meta":{`...)
			out = append(out, related...)
			if inner := v[1 : len(v)-1]; len(bytesTrim(inner)) > 0 {
				out = append(out, ',')
				out = append(out, inner...)
			}
			out = append(out, '}')
			return true
		}
		out = codec.AppendStringBytes(out, []byte(plainKey(k)))
		out = append(out, ':')
		out = append(out, v...)
		return true
	})
	if !hasMeta {
		if n > 0 {
			out = append(out, ',')
		}
		out = append(out, `"_meta":{`...)
		out = append(out, related...)
		out = append(out, '}')
	}
	return append(out, '}')
}

func bytesTrim(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r') {
		b = b[1:]
	}
	return b
}
