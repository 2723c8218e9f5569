package router

import (
	"context"
	"errors"
	"strings"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/pool"
	"github.com/valyala/bytebufferpool"
)

// What a request runs: one of the registered handler kinds.
const (
	targetTool uint8 = iota + 1
	targetPrompt
	targetResource
	targetComplete
)

// target is the handler a request resolved to. A value type, so routing an
// inline request allocates nothing.
type target struct {
	kind     uint8
	inline   bool
	tool     *toolEntry
	prompt   *promptEntry
	resource ResourceHandler
	uri      string            // resources/read; the argument name for completion
	vars     map[string]string // template variables; completion context
	complete CompleteFunc
	prefix   string // completion: the value typed so far
	// deferTask: the handler may turn the call into a task (StartTask).
	deferTask bool
}

// dispatch runs t for request q, inline on the loop or on the worker pool,
// and answers. In the modern era it first restores the multi round-trip
// state (inputResponses, requestState) the client sent back.
func (r *Router) dispatch(q *request, t target, args []byte) {
	var responses []byte
	if q.s.era == EraModern {
		var err error
		if responses, err = r.inputResponsesOf(q); err != nil {
			q.s.replyError(q.id, codec.CodeInvalidParams, err.Error(), nil)
			return
		}
	}
	if c := q.s.capture; c != nil && c.resolving {
		// A hook is looking this request up: it runs the handler through
		// Continue — here on the loop, or around the handler on a worker.
		if t.inline {
			req := r.inlineRequest(q.s.shard)
			req.begin(q, r.spanContext(q.s), true)
			req.responses = responses
			c.hold(req, &t, args)
			return
		}
		if r.runPooled(q, t, args, responses, c); c.err == nil {
			c.pooled = true
		}
		return
	}
	if t.inline {
		req := q.s.r.inlineRequest(q.s.shard)
		req.begin(q, r.spanContext(q.s), true)
		req.responses = responses
		r.execute(req, &t, args)
		buf := q.s.beginResult(q.id)
		buf, code, msg, data := r.render(buf, q.s.era, req, &t)
		if code != 0 {
			q.s.replyError(q.id, code, msg, data)
			return
		}
		if t.kind == targetTool && req.Result.isError && r.observing() {
			r.markToolError(q.s)
		}
		q.s.endResult(q.id, buf)
		return
	}
	r.runPooled(q, t, args, responses, nil)
}

// execute runs the handler, turning a panic into a failed request.
func (r *Router) execute(req *Request, t *target, args []byte) {
	defer func() {
		if p := recover(); p != nil {
			req.err = errHandlerPanicked
		}
	}()
	r.run(req, t, args)
}

// run runs the handler; the caller recovers its panics (execute, or the
// hook's recover when middleware wraps it: one deferred call per request
// either way).
func (r *Router) run(req *Request, t *target, args []byte) {
	switch t.kind {
	case targetTool:
		req.err = runTool(req, t.tool, args)
	case targetPrompt:
		req.err = runPrompt(req, t.prompt, args)
	case targetResource:
		req.contents, req.err = t.resource(req, t.uri, t.vars)
	case targetComplete:
		req.completions, req.err = t.complete(req, t.uri, t.prefix, t.vars)
	}
}

// render appends the result of an executed request, or returns the
// JSON-RPC error to answer instead (code != 0).
func (r *Router) render(buf []byte, era Era, req *Request, t *target) ([]byte, int, string, []byte) {
	if len(req.inputRequests) > 0 && era == EraModern {
		var err error
		if buf, err = r.appendInputRequired(buf, req); err != nil {
			return buf, codec.CodeInternalError, err.Error(), nil
		}
		return buf, 0, "", nil
	}
	if req.err != nil {
		code, msg, data := errorOf(req.err, era)
		return buf, code, msg, data
	}
	var err error
	switch t.kind {
	case targetTool:
		buf, err = r.appendToolResult(buf, era, t.tool, &req.Result)
	case targetPrompt:
		buf, err = r.appendPromptResult(buf, era, req.promptResult)
	case targetResource:
		buf, err = r.appendReadResult(buf, era, req.contents)
	case targetComplete:
		buf, err = r.appendCompletion(buf, era, req.completions)
	}
	if err != nil {
		return buf, codec.CodeInternalError, err.Error(), nil
	}
	return buf, 0, "", nil
}

// errorOf maps a handler error to a JSON-RPC error.
func errorOf(err error, era Era) (int, string, []byte) {
	var rpc CodedError
	if errors.As(err, &rpc) {
		return rpc.JSONRPCError()
	}
	var ce MissingCapabilityError
	if errors.As(err, &ce) {
		if era == EraModern {
			return codec.CodeMissingClientCapability, ce.Error(), []byte(`{"requiredCapabilities":{"` + ce.MissingCapability() + `":{}}}`)
		}
		return codec.CodeInvalidRequest, ce.Error(), nil
	}
	if errors.Is(err, ErrResourceNotFound) {
		if era == EraModern {
			return codec.CodeInvalidParams, "Resource not found", nil
		}
		return codec.CodeResourceNotFound, "Resource not found", nil
	}
	if errors.Is(err, errInvalidPromptArgs) {
		return codec.CodeInvalidParams, strings.TrimSpace(err.Error()), nil
	}
	return codec.CodeInternalError, err.Error(), nil
}

// isProtocolError reports whether err must become a JSON-RPC error even
// from a tool (where other errors become isError results).
func isProtocolError(err error) bool {
	var rpc CodedError
	var ce MissingCapabilityError
	return errors.As(err, &rpc) || errors.As(err, &ce) || errors.Is(err, errHandlerPanicked)
}

// runPooled runs a handler that may block on the worker pool, once the
// loop's admission control lets it (see admission.go): at once while the
// adaptive concurrency limit has room, else after a short bounded wait in
// the loop's queue, else never (a refusal, decided here on the loop
// before anything is copied). The request's bytes are copied (the loop's
// buffer is reused when we return); the answer is rendered on the worker
// into a pooled buffer and posted back to the session's shard, which
// drops it if the request was cancelled, timed out or the session closed
// meanwhile. With hooked (the Call a receiving hook looks the request up
// with), the hook runs on the worker around the handler; a refusal here
// (busy, duplicate id) is captured into hooked.
func (r *Router) runPooled(q *request, t target, args, responses []byte, hooked *Call) {
	s := q.s
	if _, dup := s.inflight[string(q.id)]; dup {
		s.replyError(q.id, codec.CodeInvalidRequest, "request id is already in use by a running request", nil)
		return
	}
	a := r.admissionOf(s.shard)
	now := pool.Now()
	run, why, ok := r.admit(a, s, now)
	if !ok {
		r.refuse(s, q.id, why)
		a.publish()
		return
	}
	s.escaped = true
	// The handler's closure takes the target's address: copied here, it
	// reaches the heap only for a call that runs, not for each refusal.
	tg := t
	own := bytebufferpool.Get()
	own.B = append(own.B[:0], q.id...)
	n1 := len(own.B)
	own.B = append(own.B, q.params...)
	n2 := len(own.B)
	own.B = append(own.B, args...)
	n3 := len(own.B)
	own.B = append(own.B, responses...)
	id := own.B[:n1:n1]
	params := own.B[n1:n2:n2]
	ownArgs := own.B[n2:n3:n3]
	ownResp := own.B[n3:]
	if responses == nil {
		ownResp = nil
	}

	// The handler's context and deadline start when it starts (start):
	// the timeout bounds its run, the queueing bound its wait. Its parent
	// (the request's trace span) is taken now, while the request is the
	// shard's current one.
	c := &call{cancel: noCancel, s: s, key: string(id), id: id, own: own, parent: r.spanContext(s)}
	req := &Request{}
	c.req = req
	rq := request{s: s, id: id, method: append([]byte(nil), q.method...), params: params} // _meta is found again in the copied params
	req.begin(&rq, context.Background(), false)
	req.responses = ownResp
	if tg.deferTask {
		req.deferred = &deferredTask{e: tg.tool, c: c}
	}
	era := s.era
	// The request's observation goes with it to the pool and ends when
	// the answer is sent (cur is zero, inactive, when nothing observes).
	ob := &r.stateOf(s.shard.ID).meter.cur

	var hook Hook
	var method string
	if hooked != nil {
		if h := r.hooks.Load(); h != nil {
			hook = h.Receive
		}
		method = hooked.Method()
	}
	c.task = func() {
		ctx := req.ctx // set by start, before the task was submitted
		out := bytebufferpool.Get()
		var buf []byte
		if hook != nil {
			buf = r.runHooked(hook, ctx, &Call{method: method, id: id, params: params, session: s, r: r,
				step: stepExecute, t: tg, args: ownArgs, req: req, buf: out.B[:0]})
		} else {
			r.execute(req, &tg, ownArgs)
			if req.task != nil { // it became a task: the outcome is the task's
				r.finishTaskRun(req, &tg, nil)
			}
			buf = codec.AppendResultHead(out.B[:0], id)
			var code int
			var msg string
			var data []byte
			buf, code, msg, data = r.render(buf, era, req, &tg)
			if code != 0 {
				buf = codec.AppendError(out.B[:0], id, code, msg, data)
			} else {
				buf = codec.AppendResultTail(buf)
			}
		}
		out.B = buf
		errT := answerErrType(buf, tg.kind == targetTool && req.Result.isError)
		ended := pool.Now() // c.start was written before the task was submitted
		if err := postSure(s.shard, func() { r.callDone(a, c, out, errT, ended) }); err != nil {
			// The shard is gone (server stopping): nobody is left to answer.
			bytebufferpool.Put(out)
			if c.obs.span != nil {
				c.obs.span.End(ErrTypeName(errT))
			}
		}
	}
	if s.inflight == nil {
		s.inflight = make(map[string]*call)
	}
	s.inflight[c.key] = c
	if ob.active {
		c.obs = *ob
		c.obs.msg = nil
		ob.active = false // the pooled answer (or refusal) ends it
		ob.span, ob.ctx = nil, nil
	}
	a.track(c)
	if run {
		a.publish() // before the handler can be seen running
		r.start(a, c, now)
	} else {
		c.state = callQueued
		c.enq = now
		s.queued++
		a.q.push(c)
		a.stats.Queued.Inc()
		r.armQueueTimer(a, s.shard, now)
	}
	a.publish()
}

// runHooked runs the receiving hook around a pooled handler and returns
// the complete answer, in c.buf when the hook passed the rendered result
// through. Worker goroutine.
func (r *Router) runHooked(hook Hook, ctx context.Context, c *Call) []byte {
	res, err := c.runHook(hook, ctx)
	switch {
	case err != nil:
		code, msg, data := errorOf(err, c.session.era)
		return codec.AppendError(c.buf[:0], c.id, code, msg, data)
	case res == nil:
		return codec.AppendError(c.buf[:0], c.id, codec.CodeInternalError, "internal error: the middleware returned neither a result nor an error", nil)
	case c.passedThrough(res):
		return codec.AppendResultTail(c.buf)
	case codec.Valid(res) != nil:
		return codec.AppendError(c.buf[:0], c.id, codec.CodeInternalError, "internal error: the middleware returned a result that is not valid JSON", nil)
	}
	// res may point into c.buf: build the answer beside it.
	return codec.AppendResponse(nil, c.id, res)
}

// cancelRequest handles notifications/cancelled: the handler's context is
// cancelled and its late answer is not sent; a modern listen stream ends.
// Unknown ids are ignored.
func (r *Router) cancelRequest(s *Session, params []byte) {
	id, ok := codec.ObjectField(params, "requestId")
	if !ok {
		return
	}
	if _, ok := s.listens[string(id)]; ok {
		delete(s.listens, string(id))
		return
	}
	c := s.inflight[string(id)]
	if c == nil {
		return
	}
	c.cancelled = true
	delete(s.inflight, string(id))
	r.forget(c)
}
