package router

import (
	"context"
	"errors"

	"github.com/densemcp/densemcp/codec"
)

// Hooks let a server run code around every message a client sends (the
// receiving hook) and every notification or server→client request it
// sends (the sending hook): logging, authorization, rate limits, auditing,
// tracing. The router calls one Hook per direction; the root package
// composes its users' middleware chains into them. With no hook set the
// request path is exactly what it is without this file: one atomic load
// per message decides.
//
// Where a hook runs: where the message is handled. A request for a
// blocking handler (a tool, prompt, resource or completion registered
// without Inline) is routed on the event loop, then the hook runs on the
// worker that runs the handler, around it; everything else — protocol
// methods, lists, inline handlers, notifications — runs the hook on the
// session's event loop, where it must not block. So a hook never adds a
// hop, and a hook that may block wraps only handlers that may block too.
//
// For the four methods that run a registered handler (tools/call,
// prompts/get, resources/read, completion/complete) the router looks the
// target up before the hook runs (a lookup has no side effect); a failed
// lookup reaches the hook as the error Continue returns. Every other
// method is routed inside Continue, so a hook that refuses one prevents
// its effects (initialize, subscribe, setLevel ...).

// Hook runs around one message. It returns the raw JSON result to answer
// with, or an error (see errorOf for the JSON-RPC error it becomes);
// calling c.Continue runs what the router would have run without the hook
// and returns its outcome. A notification's outcome is (nil, nil), and an
// error from the hook drops it.
type Hook func(ctx context.Context, c *Call) ([]byte, error)

// Hooks are the router's two hooks; a nil one is skipped.
type Hooks struct {
	// Receive runs around every request and notification from a client
	// (not around responses to server→client requests, nor messages the
	// codec rejected).
	Receive Hook
	// Send runs around every notification and server→client request the
	// server sends. For a request, Continue sends it and waits for the
	// client's answer (a worker goroutine); an error drops a notification
	// or fails the request.
	Send Hook
}

// SetHooks installs h (nil: none). Safe at any time: a message already in
// a hook finishes with the hooks it started with.
func (r *Router) SetHooks(h *Hooks) {
	if h != nil && h.Receive == nil && h.Send == nil {
		h = nil
	}
	r.hooks.Store(h)
}

func (r *Router) sendHook() Hook {
	if h := r.hooks.Load(); h != nil {
		return h.Send
	}
	return nil
}

// Call is one message as a hook sees it. Its slices are valid only until
// the hook returns; a Call is reused, so a hook must not keep it.
//
// What the hook reads is read through methods, so that a received message
// is not copied into the Call: the Call keeps the decoded message, and its
// method name is made a string only when asked for (this runs per message).
type Call struct {
	// Ext is free for the package that wraps the router's API (the root
	// densemcp package keeps its view of the Call here, so a middleware
	// chain costs no allocation per message).
	Ext any

	r       *Router
	session *Session
	// m is the received message; nil in the sending hook and around a
	// pooled handler, whose id and params are below.
	m          *codec.Message
	method     string // "" until Method makes it, for a received message
	id, params []byte // when m is nil
	sending    bool
	step       uint8
	busy       bool // in use (the per-shard Calls)
	// inHook and inHandler let the hook's deferred recover (handleHooked,
	// runHook) tell a panicking hook from the handler it runs.
	inHook, inHandler bool

	// Receiving: what Continue runs (stepRoute: m).
	t         target   // stepExecute: the resolved handler,
	args      []byte   // its arguments,
	req       *Request // and the Request it runs with (begun)
	taskReq   *request // stepTask: the tools/call that starts a task
	onLoop    bool
	resolving bool // looking the target up (dispatch holds it)
	pooled    bool // handed to a worker, whose hook runs there

	// The outcome of routing: buf holds a response head and result
	// (hasResult), or err the JSON-RPC error.
	buf       []byte
	hl        int // length of the head in buf: the result is buf[hl:]
	hasResult bool
	err       error
	noAnswer  bool // the request stays open unanswered (subscriptions/listen)

	// Sending.
	kind    MsgKind
	related []byte
	sender  *Request // the request a notification belongs to, if any
}

// What Continue runs.
const (
	stepSpent   uint8 = iota // Continue already ran
	stepRoute                // route the message (non-dispatch methods, notifications)
	stepDone                 // routing already produced the outcome
	stepExecute              // run the resolved handler and render its result
	stepNotify               // send a notification
	stepRequest              // send a server→client request and wait
	stepTask                 // start the task a tools/call asked for
)

var errContinueTwice = errors.New("internal error: middleware called next twice")

// Method returns the JSON-RPC method.
func (c *Call) Method() string {
	if c.method == "" && c.m != nil {
		c.method = methodName(c.m.Method)
	}
	return c.method
}

// ID returns the raw request id, nil for a notification.
func (c *Call) ID() []byte {
	if c.m != nil {
		return c.m.ID
	}
	return c.id
}

// Params returns the raw params (nil if none). Read-only.
func (c *Call) Params() []byte {
	if c.m != nil {
		return c.m.Params
	}
	return c.params
}

// Session returns the session the message belongs to.
func (c *Call) Session() *Session { return c.session }

// Sending reports whether c is in the sending hook.
func (c *Call) Sending() bool { return c.sending }

// Continue runs what the router would run for the message without hooks
// and returns the result (raw JSON) or the error it answers with. It runs
// at most once per message; later calls return an error.
//
// The step of a resolved handler, the most frequent, is run here (the
// handler, then its result rendered into c.buf), the others by
// continueStep: a frame less on the path of most calls.
func (c *Call) Continue(ctx context.Context) ([]byte, error) {
	if c.step != stepExecute {
		return c.continueStep(ctx)
	}
	c.step = stepSpent
	r := c.r
	s := c.session
	req := c.req
	if c.onLoop && s.closed {
		return nil, errSessionClosed
	}
	if ctx != nil {
		req.ctx = ctx
	}
	if c.inHook {
		c.inHandler = true
		r.run(req, &c.t, c.args) // the hook's deferred recover recovers
		c.inHandler = false
	} else {
		r.execute(req, &c.t, c.args)
	}
	if req.task != nil { // it became a task: the outcome is the task's
		r.finishTaskRun(req, &c.t, nil)
	}
	buf := codec.AppendResultHead(c.buf[:0], c.ID())
	hl := len(buf)
	buf, code, msg, data := r.render(buf, s.era, req, &c.t)
	c.buf = buf
	if code != 0 {
		c.hasResult = false
		return nil, &RPCError{Code: code, Message: msg, Data: data}
	}
	c.hl, c.hasResult = hl, true
	return buf[hl:], nil
}

// continueStep is Continue for the steps other than a resolved handler's.
func (c *Call) continueStep(ctx context.Context) ([]byte, error) {
	step := c.step
	c.step = stepSpent
	switch step {
	case stepRoute:
		return c.route()
	case stepDone:
		return c.outcome()
	case stepNotify:
		c.notify()
		return nil, nil
	case stepRequest:
		return c.session.roundTrip(ctx, c.id, c.method, c.params, c.related)
	case stepTask:
		return c.startTask()
	}
	return nil, errContinueTwice
}

// Era returns the era the message is handled in.
func (c *Call) Era() Era { return c.session.era }

// ToolName returns the tool a tools/call names ("" for other methods or
// when params carry no name).
func (c *Call) ToolName() string {
	if c.t.kind == targetTool && c.t.tool != nil {
		return c.t.tool.tool.Name
	}
	if c.Method() != "tools/call" {
		return ""
	}
	s, _ := (&request{params: c.Params()}).stringParam("name")
	return s
}

// Arguments returns the raw arguments of a tools/call or prompts/get
// (nil if none or another method).
func (c *Call) Arguments() []byte {
	if c.t.kind != 0 && c.args != nil { // hold set them (begin resets t.kind)
		return c.args
	}
	if m := c.Method(); m != "tools/call" && m != "prompts/get" {
		return nil
	}
	v, _ := codec.ObjectField(c.Params(), "arguments")
	return v
}

// ToolError returns a tools/call result with isError and msg as its text,
// in the call's era: for a hook that refuses a call the way a tool
// reports a failure, so the model can see why.
func (c *Call) ToolError(msg string) []byte {
	b := append([]byte(nil), `{"content":[{"type":"text","text":`...)
	b = codec.AppendString(b, msg)
	b = append(b, `}],"isError":true`...)
	b = c.r.appendEraFields(b, c.session.era, false)
	return append(b, '}')
}

// begin readies the receiving Call c for message m of session s. Only
// what a later step reads before writing is reset: this runs per message.
// The rest is written by the step that sets it up (hold: req and args,
// read only when t.kind is set; holdTask: taskReq; err, read only by
// outcome, where routing is captured), or keeps its value between
// messages (r and onLoop, set with the Call; sending, which only the
// sending Calls set; resolving and pooled, which handleHooked clears
// after routing).
func (c *Call) begin(s *Session, m *codec.Message) {
	c.session, c.m = s, m
	c.method = ""
	c.step = stepSpent
	c.t.kind = 0
	c.hasResult, c.noAnswer = false, false
}

// release ends the use of a per-shard Call. What it still points into
// (loop buffers, the last session) is overwritten by the next message on
// the shard; clearing it here would cost every message.
func (c *Call) release() { c.busy = false }

// resolvesFirst reports whether method runs a registered handler, whose
// target is looked up before the hook runs.
func resolvesFirst(method []byte) bool {
	switch string(method) { // four lengths: one length test and one compare
	case "tools/call", "prompts/get", "resources/read", "completion/complete":
		return true
	}
	return false
}

// methodName returns method as a string, without allocating for the
// methods of the protocol.
func methodName(b []byte) string {
	switch string(b) {
	case "tools/call":
		return "tools/call"
	case "tools/list":
		return "tools/list"
	case "initialize":
		return "initialize"
	case "notifications/initialized":
		return "notifications/initialized"
	case "ping":
		return "ping"
	case "resources/read":
		return "resources/read"
	case "resources/list":
		return "resources/list"
	case "resources/templates/list":
		return "resources/templates/list"
	case "resources/subscribe":
		return "resources/subscribe"
	case "resources/unsubscribe":
		return "resources/unsubscribe"
	case "prompts/get":
		return "prompts/get"
	case "prompts/list":
		return "prompts/list"
	case "completion/complete":
		return "completion/complete"
	case "logging/setLevel":
		return "logging/setLevel"
	case "server/discover":
		return "server/discover"
	case "subscriptions/listen":
		return "subscriptions/listen"
	case "notifications/cancelled":
		return "notifications/cancelled"
	case "notifications/roots/list_changed":
		return "notifications/roots/list_changed"
	}
	return string(b)
}

// handleHooked handles m of session s through hook. Shard goroutine.
//
// It calls the hook itself, under its own deferred recover, rather than
// through runHook: a frame less on the path of every hooked message. As
// in runHook, the deferred function calls recover only when the hook did
// not return, and it is the message's only deferred call.
func (r *Router) handleHooked(hook Hook, s *Session, m *codec.Message) {
	c := r.recvCall(s)
	c.begin(s, m)
	if m.Kind == codec.KindRequest && resolvesFirst(m.Method) {
		c.resolving, c.err = true, nil
		s.capture = c
		r.handleRequest(s, m)
		s.capture = nil
		c.resolving = false
		if c.pooled {
			c.pooled = false
			c.release()
			return
		}
		if c.step == stepSpent {
			c.step = stepDone
		}
	} else {
		c.step = stepRoute
	}
	c.inHook = true
	defer func() { // captures c alone: the cheapest closure to set up
		if c.inHook { // the hook did not return
			c.inHook = false
			if recover() != nil {
				c.r.answer(c, nil, c.panicked())
			}
			c.release()
		}
	}()
	// The request's span (when tracing) is the context the chain and the
	// handler Continue runs inherit, as without middleware.
	res, err := hook(r.spanContext(s), c)
	c.inHook = false
	if err == nil && c.passedThrough(res) && !s.closed {
		// The hook returned what the router rendered (most messages):
		// send it as it is, here rather than in answer.
		buf := codec.AppendResultTail(c.buf)
		s.out.Send(MsgResponse, m.ID, buf)
		if r.observing() {
			s.answeredWith(buf)
		}
		if cap(buf) != cap(c.buf) { // grown: keep the larger buffer
			c.buf = buf[:0]
		} // (else c.buf is that array; every use starts at c.buf[:0])
	} else {
		r.answer(c, res, err)
	}
	c.release()
}

// recvCall returns the Call for a message s receives: the shard's, or a
// new one when a hook made the loop handle another message.
func (r *Router) recvCall(s *Session) *Call {
	c := &r.stateOf(s.shard.ID).recv
	if c.busy {
		c = &Call{r: r, onLoop: true}
	}
	c.busy = true
	return c
}

var errHookPanicked = errors.New("internal error: a middleware panicked")

// runHook runs hook on c, turning a panic into an error: a middleware
// must not take down an event loop. Its deferred function calls recover
// only when the hook did not return, and it is the only deferred call of
// a hooked request: the handler Continue runs has none of its own (see
// Call.Continue), since a second one cost half of what a no-op middleware
// added to a call. A panic in a handler thus unwinds through the
// middleware that wraps it, as in net/http, and fails the request. One
// frame holds the call and the recover, since a frame more cost a tenth
// of the middleware's overhead.
func (c *Call) runHook(hook Hook, ctx context.Context) (res []byte, err error) {
	c.inHook = true
	defer func() {
		if c.inHook { // the hook did not return
			c.inHook = false
			if recover() != nil {
				res, err = nil, c.panicked()
			}
		}
	}()
	res, err = hook(ctx, c)
	c.inHook = false
	return res, err
}

// panicked is the error a recovered panic fails the message with.
func (c *Call) panicked() error {
	if c.onLoop && c.session != nil {
		c.session.capture = nil
	}
	if c.inHandler {
		c.inHandler = false
		return errHandlerPanicked
	}
	return errHookPanicked
}

// answer sends the outcome of a hooked request that is not the result
// routing rendered, passed through (handleHooked sends that one). Shard
// goroutine.
func (r *Router) answer(c *Call, res []byte, err error) {
	s, id := c.session, c.m.ID
	if id == nil || s.closed {
		return
	}
	switch {
	case err != nil:
		code, msg, data := errorOf(err, s.era)
		s.replyError(id, code, msg, data)
	case res == nil:
		if !c.noAnswer {
			s.replyError(id, codec.CodeInternalError, "internal error: the middleware returned neither a result nor an error", nil)
		}
	case codec.Valid(res) != nil:
		s.replyError(id, codec.CodeInternalError, "internal error: the middleware returned a result that is not valid JSON", nil)
	default:
		s.replyResult(id, res)
	}
}

// passedThrough reports whether res is the result routing rendered into
// c.buf, unchanged.
func (c *Call) passedThrough(res []byte) bool {
	if !c.hasResult || c.hl >= len(c.buf) {
		return false
	}
	rest := c.buf[c.hl:]
	return len(res) == len(rest) && &res[0] == &rest[0]
}

// outcome returns what routing captured.
func (c *Call) outcome() ([]byte, error) {
	if c.err != nil {
		return nil, c.err
	}
	if c.hasResult {
		return c.buf[c.hl:], nil
	}
	return nil, nil
}

// route runs the router's own handling of the message, capturing its
// answer. Shard goroutine.
func (c *Call) route() ([]byte, error) {
	s := c.session
	if s.closed {
		return nil, errSessionClosed
	}
	c.err = nil
	s.capture = c
	if c.m.Kind == codec.KindNotification {
		c.r.handleNotification(s, c.m)
	} else {
		c.r.handleRequest(s, c.m)
	}
	s.capture = nil
	if c.m.ID != nil && !c.hasResult && c.err == nil {
		c.noAnswer = true // subscriptions/listen: the stream stays open
	}
	return c.outcome()
}

// hold records the inline handler dispatch resolved while a hooked
// request is looked up, instead of running it: the hook runs it through
// Continue. req is the shard's inline Request, already begun for the
// request: nothing else runs an inline handler on the shard before the
// hook returns.
func (c *Call) hold(req *Request, t *target, args []byte) {
	c.req = req
	if t.kind == targetTool { // what run and render read of a tool's target
		c.t.kind, c.t.inline, c.t.tool, c.t.deferTask = t.kind, t.inline, t.tool, t.deferTask
	} else {
		c.t = *t
	}
	c.args = args
	c.step = stepExecute
}

// holdTask records a tools/call that starts a task at once, so the task
// starts only when the hook continues. A copy of the request is kept (its
// slices point into the loop's buffer, valid until the hook returns); the
// path of task calls may allocate.
func (c *Call) holdTask(q *request, e *toolEntry) {
	cp := *q
	c.taskReq = &cp
	c.t = target{kind: targetTool, tool: e}
	c.args = nil // Arguments reads the params
	c.step = stepTask
}

// startTask creates and starts the held task, capturing its
// CreateTaskResult (or refusal). Shard goroutine.
func (c *Call) startTask() ([]byte, error) {
	s := c.session
	if s.closed {
		return nil, errSessionClosed
	}
	q := c.taskReq
	c.taskReq = nil
	c.err = nil
	s.capture = c
	c.r.startTaskNow(q, c.t.tool)
	s.capture = nil
	return c.outcome()
}

// captureResult records a complete raw result routing answered with.
func (c *Call) captureResult(id, result []byte) {
	c.buf = codec.AppendResultHead(c.buf[:0], id)
	c.hl = len(c.buf)
	c.buf = append(c.buf, result...)
	c.hasResult, c.err = true, nil
}

// captureError records the error routing answered with.
func (c *Call) captureError(code int, msg string, data []byte) {
	var d []byte
	if data != nil {
		d = append([]byte(nil), data...)
	}
	c.err = &RPCError{Code: code, Message: msg, Data: d}
	c.hasResult = false
}

// captureAnswer records a complete answer routing sent (its result, or its
// error's code, message and data).
func (c *Call) captureAnswer(msg []byte) {
	if res, ok := codec.ObjectField(msg, "result"); ok {
		c.captureResult(c.ID(), res)
		return
	}
	e, _ := codec.ObjectField(msg, "error")
	code, _ := codec.ObjectField(e, "code")
	m, _ := codec.ObjectField(e, "message")
	text, _ := codec.Unquote(nil, m)
	data, _ := codec.ObjectField(e, "data")
	c.captureError(int(parseInt(code)), string(text), data)
}

// notify sends the notification c describes (the end of the sending
// chain).
func (c *Call) notify() {
	if q := c.sender; q != nil {
		q.emitKind(c.kind, codec.AppendNotification(nil, c.method, c.params))
		return
	}
	s := c.session
	if s.closed {
		return
	}
	buf := codec.AppendNotification(s.shard.Scratch[:0], c.method, c.params)
	s.out.Send(c.kind, c.related, buf)
	s.shard.Scratch = buf[:0]
}

// notify sends notification method with raw params on s,
// through the sending hook if one is set. Shard goroutine.
func (s *Session) notify(kind MsgKind, related []byte, method string, params []byte) {
	hook := s.r.sendHook()
	if hook == nil {
		buf := codec.AppendNotification(s.shard.Scratch[:0], method, params)
		s.out.Send(kind, related, buf)
		s.shard.Scratch = buf[:0]
		return
	}
	c := &s.r.stateOf(s.shard.ID).send
	if c.busy {
		c = new(Call)
	}
	c.beginSend(s, method, params)
	c.kind, c.related = kind, related
	c.step = stepNotify
	_, _ = c.runHook(hook, context.Background())
	c.release()
}

// notify sends notification method related to request q, through the
// sending hook if one is set. Loop or worker goroutine.
func (q *Request) notify(method string, params []byte) {
	hook := q.r.sendHook()
	if hook == nil {
		q.emit(codec.AppendNotification(nil, method, params))
		return
	}
	var c *Call
	if q.onLoop {
		c = &q.r.stateOf(q.session.shard.ID).send
	}
	if c == nil || c.busy {
		c = new(Call)
	}
	c.beginSend(q.session, method, params)
	c.kind, c.related, c.sender = MsgRelated, q.id, q
	c.step = stepNotify
	_, _ = c.runHook(hook, q.ctx)
	c.release()
}

func (c *Call) beginSend(s *Session, method string, params []byte) {
	c.m, c.method, c.id, c.params, c.session, c.sending = nil, method, nil, params, s, true
	c.r = s.r
	c.busy = true
	c.t.kind, c.args = 0, nil
	c.related, c.sender = nil, nil
	c.hasResult, c.err = false, nil
}
