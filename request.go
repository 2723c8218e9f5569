package densemcp

import (
	"context"
	"encoding/json"

	"github.com/densemcp/densemcp/router"
)

// Request is what a handler sees of the request it serves: its era, its
// _meta, the tools/call result it fills, and the calls that reach back to
// the client (progress, logging, elicitation, sampling, roots). The same
// calls work in both eras: legacy sends a server→client request and waits;
// modern asks through an input_required result and the retried request.
//
// A Request is valid only while its handler runs, and an Inline handler's
// is reused for the next inline call on the event loop: keep nothing of
// it.
type Request struct {
	// Result is the tools/call result a tool handler fills (text, images,
	// structured output); other handlers return their results.
	Result *ToolResult

	q   *router.Request
	res ToolResult
}

// requestOf returns the view of q handlers get, made once per router
// Request: the event loop's inline Request is reused, so an inline call
// allocates nothing for it.
func requestOf(q *router.Request) *Request {
	if r, ok := q.Ext.(*Request); ok {
		return r
	}
	r := &Request{q: q}
	r.res.r = &q.Result
	r.Result = &r.res
	q.Ext = r
	return r
}

// Context is cancelled when the client cancels the request, the session
// ends, the handler's time is up (Options.HandlerTimeout) or the server
// shuts down; middleware may have added values to it. Handlers receive
// it as their first argument too. An Inline handler's context is never
// cancelled: such a handler must not block.
func (r *Request) Context() context.Context { return r.q.Context() }

// Era returns the era the request is served in.
func (r *Request) Era() Era { return Era(r.q.Era()) }

// Session returns the session the request belongs to.
func (r *Request) Session() *Session { return sessionOf(r.q.Session()) }

// Meta returns the raw _meta object of the request (nil if none), valid
// until the handler returns.
func (r *Request) Meta() json.RawMessage { return r.q.Meta() }

// TraceParent returns the W3C traceparent the client put in _meta, or "",
// for handlers that continue the client's trace.
func (r *Request) TraceParent() string { return r.q.TraceParent() }

// TraceState returns the W3C tracestate from _meta, or "".
func (r *Request) TraceState() string { return r.q.TraceState() }

// Principal returns who the request's credential names, nil when
// authorization is off (Options.Auth).
func (r *Request) Principal() *Principal { return principalOf(r.q.Principal()) }

// ClientCapability reports whether the client declared capability name
// ("elicitation", "sampling", "roots", ...): per request in the modern
// era, at initialize in the legacy era.
func (r *Request) ClientCapability(name string) bool { return r.q.ClientCapability(name) }

// Progress sends notifications/progress for the request's progressToken
// (nothing if the client sent none). Progress must increase; a value not
// above the last one is dropped, as the spec requires. total <= 0 means
// unknown. A blocking handler's message waits while its loop's inbox is
// full (stdio, net/http), so a handler emitting faster than the loop
// drains is slowed rather than losing messages.
func (r *Request) Progress(progress, total float64, message string) {
	r.q.Progress(progress, total, message)
}

// Log sends notifications/message at level if the client wants it: in the
// legacy era at or above the session's logging/setLevel threshold (all
// levels until the client sets one); in the modern era only when the
// request's _meta asked for logs at or below level. data is any
// JSON-encodable value; logger may be empty. Like Progress, it waits while
// the loop's inbox is full rather than dropping the message.
func (r *Request) Log(level LogLevel, logger string, data any) {
	r.q.Log(router.LogLevel(level), logger, data)
}

// CloseStream ends the SSE stream carrying this request while the handler
// goes on (SEP-1699 polling): its later messages and its answer wait for
// the client to resume the stream with Last-Event-ID. Only legacy HTTP
// sessions with replay on (and a stream already open) do this; elsewhere it
// does nothing.
func (r *Request) CloseStream() { r.q.CloseStream() }

// ElicitationComplete tells the client that URL-mode elicitation id
// finished out of band (legacy era; the modern era carries the outcome in
// the retried request, so this does nothing there).
func (r *Request) ElicitationComplete(id string) { r.q.ElicitationComplete(id) }

// StartTask turns a call of a tool registered with DeferTask into a task
// now: the client gets the task at once and the handler goes on as its
// run. It returns the task id. It fails (ErrNoTask) for a tool without
// DeferTask, an Inline handler, or a client that cannot take a task.
func (r *Request) StartTask() (string, error) { return r.q.StartTask() }

// TaskID returns the id of the task the handler runs as, "" if none.
func (r *Request) TaskID() string { return r.q.TaskID() }

// Session is one MCP session: a TCP or stdio connection, a legacy HTTP
// session, or the single request of a modern (stateless) HTTP POST.
type Session struct {
	s *router.Session
}

// sessionOf returns the view of s, made once per router Session.
func sessionOf(s *router.Session) *Session {
	if s == nil {
		return nil
	}
	if v, ok := s.Ext.(*Session); ok {
		return v
	}
	v := &Session{s: s}
	s.Ext = v
	return v
}

// Era returns the session's era (EraUnknown before its first decisive
// request).
func (s *Session) Era() Era { return Era(s.s.Era()) }

// ProtocolVersion returns the negotiated protocol version of a legacy
// session ("" otherwise).
func (s *Session) ProtocolVersion() string { return s.s.Version() }

// Principal returns who the session's credential names (authorization on),
// or nil.
func (s *Session) Principal() *Principal { return principalOf(s.s.Principal()) }

// Handlers, with the request's context first as Go handlers take it.
type (
	// ToolHandlerFor is a typed tool handler (AddTool): in is the decoded
	// and validated arguments; the returned Out becomes structuredContent
	// (and its JSON text, unless the handler added content); an error
	// becomes a result with isError true and the error's text.
	ToolHandlerFor[In, Out any] func(ctx context.Context, req *Request, in In) (Out, error)

	// RawToolHandler runs a tool on its raw arguments (AddRawTool): args is
	// the validated arguments object ("{}" when the client sent none),
	// valid until the handler returns. It fills req.Result; a returned
	// error becomes a result with isError true, as the spec asks.
	RawToolHandler func(ctx context.Context, req *Request, args json.RawMessage) error

	// ResourceHandler reads a resource. vars holds the template's
	// variables (nil for a concrete resource). Return ErrResourceNotFound
	// when the URI names nothing.
	ResourceHandler func(ctx context.Context, req *Request, uri string, vars map[string]string) ([]ResourceContents, error)

	// PromptHandler renders a prompt; args holds the client's arguments,
	// every required one present.
	PromptHandler func(ctx context.Context, req *Request, args map[string]string) (*GetPromptResult, error)

	// CompleteFunc suggests values for argument arg (of a prompt, or a
	// variable of a resource template) given the prefix typed so far and
	// the other arguments already resolved; the server sends at most 100
	// and reports the total.
	CompleteFunc func(ctx context.Context, req *Request, arg, prefix string, context map[string]string) ([]string, error)
)

func rawToolToRouter(h RawToolHandler) router.ToolHandler {
	return func(q *router.Request, args []byte) error {
		return h(q.Context(), requestOf(q), args)
	}
}

func resourceHandlerToRouter(h ResourceHandler) router.ResourceHandler {
	if h == nil {
		return nil
	}
	return func(q *router.Request, uri string, vars map[string]string) ([]router.ResourceContents, error) {
		cs, err := h(q.Context(), requestOf(q), uri, vars)
		return convSlice(cs, contentsToRouter), err
	}
}

func promptHandlerToRouter(h PromptHandler) router.PromptHandler {
	if h == nil {
		return nil
	}
	return func(q *router.Request, args map[string]string) (*router.GetPromptResult, error) {
		res, err := h(q.Context(), requestOf(q), args)
		return promptResultToRouter(res), err
	}
}

func completeToRouter(f CompleteFunc) router.CompleteFunc {
	if f == nil {
		return nil
	}
	return func(q *router.Request, arg, prefix string, ctx map[string]string) ([]string, error) {
		return f(q.Context(), requestOf(q), arg, prefix, ctx)
	}
}
