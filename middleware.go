package densemcp

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/router"
)

// Middleware wraps the handling of messages, in the shape of the official
// Go SDK's middleware: it receives the next handler and returns one that
// runs around it. Receiving middleware (Server.AddReceivingMiddleware)
// runs around every request and notification a client sends; sending
// middleware (Server.AddSendingMiddleware) around every notification and
// server→client request the server sends. Middleware added first runs
// first (outermost).
//
// A middleware may look at the call (method, params, session), call next
// and look at or replace the result, or return an error without calling
// next to refuse the message: a request is answered with the error (an
// *RPCError keeps its code; any other error is -32603 with its text), a
// notification is dropped.
//
//	s.AddReceivingMiddleware(func(next densemcp.MethodHandler) densemcp.MethodHandler {
//		return func(ctx context.Context, c *densemcp.Call) (json.RawMessage, error) {
//			if c.ToolName() == "delete_everything" && !allowed(c.Session()) {
//				return nil, &densemcp.RPCError{Code: densemcp.CodeForbidden, Message: "forbidden"}
//			}
//			start := time.Now()
//			res, err := next(ctx, c)
//			log.Info("mcp", "method", c.Method(), "took", time.Since(start), "err", err)
//			return res, err
//		}
//	})
//
// Where middleware runs: where the message is handled, so it never adds a
// hop. Around a tools/call, prompts/get, resources/read or
// completion/complete whose handler may block (not Inline), it runs on the
// worker goroutine that runs the handler, and may block as that handler
// may; everywhere else — protocol methods, lists, Inline handlers,
// notifications — it runs on the connection's event loop and must not
// block, like an Inline handler. For those four methods the target is
// looked up before the chain runs, so an unknown tool reaches the
// middleware as the error next returns.
//
// A few answers are made after the chain has returned, elsewhere: a
// subscriptions/listen stream stays open, and a task asked about (tasks/get
// and the like) on an event loop that does not own it is answered by its
// owner. For those, next returns neither a result nor an error, and the
// answer goes out when it is ready.
//
// With no middleware the request path is unchanged (and allocation-free);
// a chain of cheap middleware costs no allocation per message either.
type Middleware func(next MethodHandler) MethodHandler

// MethodHandler handles one message and returns its raw JSON result or an
// error. For a notification the result is nil. The ctx passed to next
// becomes the handler's context (Request.Context), so middleware may add
// values or deadlines to it.
type MethodHandler func(ctx context.Context, c *Call) (json.RawMessage, error)

// Call is one message as middleware sees it. It and the slices it returns
// are valid only until the middleware returns: a Call is reused.
type Call struct {
	c *router.Call
}

// Method returns the JSON-RPC method ("tools/call", "notifications/progress", ...).
func (c *Call) Method() string { return c.c.Method() }

// ID returns the raw JSON id of a request, nil for a notification.
func (c *Call) ID() json.RawMessage { return c.c.ID() }

// Params returns the raw JSON params (nil if none). They are read-only:
// the message is routed with what the client sent.
func (c *Call) Params() json.RawMessage { return c.c.Params() }

// IsNotification reports whether the message is a notification (no
// answer is sent).
func (c *Call) IsNotification() bool { return c.c.ID() == nil }

// Sending reports whether the server sends the message (sending
// middleware) rather than receives it.
func (c *Call) Sending() bool { return c.c.Sending() }

// Session returns the session the message belongs to.
func (c *Call) Session() *Session { return sessionOf(c.c.Session()) }

// Era returns the era the message is handled in.
func (c *Call) Era() Era { return Era(c.c.Era()) }

// ToolName returns the tool a tools/call names, "" for other methods.
func (c *Call) ToolName() string { return c.c.ToolName() }

// Arguments returns the raw arguments of a tools/call or prompts/get, nil
// for other methods or none.
func (c *Call) Arguments() json.RawMessage { return c.c.Arguments() }

// ToolError returns a tools/call result that reports msg as a tool
// failure (isError true, msg as text), in the era of the call: return it
// from a middleware to refuse a call the way a tool reports a failure, so
// the model sees why, instead of a JSON-RPC error.
func (c *Call) ToolError(msg string) json.RawMessage { return c.c.ToolError(msg) }

// DecodeArguments decodes the arguments of a tools/call or prompts/get
// into a value of type T: a typed view for middleware that inspects what
// a tool is asked to do. Arguments were not yet validated against the
// tool's input schema when middleware runs.
func DecodeArguments[T any](c *Call) (T, error) {
	var v T
	args := c.c.Arguments()
	if args == nil {
		return v, fmt.Errorf("%s carries no arguments", c.c.Method())
	}
	err := codec.Unmarshal(args, &v)
	return v, err
}

// callOf returns the middleware view of rc, made once per router Call
// (router Calls are reused per event loop, so this allocates nothing in
// steady state).
func callOf(rc *router.Call) *Call {
	if c, ok := rc.Ext.(*Call); ok {
		return c
	}
	c := &Call{c: rc}
	rc.Ext = c
	return c
}

// continueCall ends every chain: what the server does without middleware.
func continueCall(ctx context.Context, c *Call) (json.RawMessage, error) {
	return c.c.Continue(ctx)
}

// AddReceivingMiddleware adds middleware around every request and
// notification a client sends, after (inside) those added before. Safe at
// any time; a message already being handled finishes with the chain it
// started with.
func (s *Server) AddReceivingMiddleware(mw ...Middleware) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.receiving = append(s.receiving, mw...)
	s.installHooks()
}

// AddSendingMiddleware adds middleware around every notification and
// server→client request (elicitation, sampling, roots) the server sends.
// For a request, next sends it and returns the client's answer. In the
// modern era a handler's questions travel inside its result
// (input_required), so no request is sent and none reaches this chain.
func (s *Server) AddSendingMiddleware(mw ...Middleware) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sending = append(s.sending, mw...)
	s.installHooks()
}

// installHooks composes the chains into the router's hooks. s.mu held.
func (s *Server) installHooks() {
	h := &router.Hooks{Receive: hookOf(s.receiving), Send: hookOf(s.sending)}
	s.r.SetHooks(h)
}

func hookOf(mw []Middleware) router.Hook {
	if len(mw) == 0 {
		return nil
	}
	h := MethodHandler(continueCall)
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return func(ctx context.Context, rc *router.Call) ([]byte, error) {
		return h(ctx, callOf(rc))
	}
}
