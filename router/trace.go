package router

import (
	"context"
	"time"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/shards"
)

// Tracer starts one span per request, after the OpenTelemetry MCP
// semantic conventions. The router calls it only when Options.Tracer is
// set, so tracing off costs a nil check; the OpenTelemetry SDK lives in a
// leaf package (ops/tracing) that implements this.
type Tracer interface {
	// Start begins the span of one request. The returned context carries
	// the span: it becomes the handler's context (Request.Context).
	Start(ctx context.Context, sp *SpanStart) (context.Context, Span)
}

// Span is one request's span.
type Span interface {
	// End ends the span; errorType is the error.type attribute ("" for
	// success, a JSON-RPC code such as "-32602", or "tool_error").
	End(errorType string)
}

// SpanStart is what the router knows of a request when its span starts.
// Strings are copies: a tracer may keep them.
type SpanStart struct {
	// Method is mcp.method.name; Target is the tool or prompt name or the
	// resource URI the request names ("" if none): the span is named
	// "{Method} {Target}".
	Method, Target string
	// ToolName (gen_ai.tool.name), PromptName (gen_ai.prompt.name),
	// ResourceURI (mcp.resource.uri): whichever the method names.
	ToolName, PromptName, ResourceURI string
	// ProtocolVersion is mcp.protocol.version; SessionID mcp.session.id
	// ("" for sessionless requests); RequestID jsonrpc.request.id.
	ProtocolVersion, SessionID, RequestID string
	// NetworkTransport ("tcp", "pipe") and NetworkProtocol ("http" or "").
	NetworkTransport, NetworkProtocol string
	// TraceParent and TraceState are the W3C trace context the client put
	// in params._meta ("" if none): the span's parent.
	TraceParent, TraceState string
	// Start is when the request arrived.
	Start time.Time
}

// spanContext starts the current request's span if it has none yet and
// returns the context that carries it (context.Background without a
// tracer). Shard goroutine, during Handle.
func (r *Router) spanContext(s *Session) context.Context {
	if r.opts.Tracer == nil {
		return context.Background()
	}
	o := &r.stateOf(s.shard.ID).meter.cur
	if !o.active {
		return context.Background()
	}
	if o.span == nil {
		r.startSpan(s, o)
	}
	return o.ctx
}

// startSpan starts o's span from the request's own bytes (valid during
// Handle). Tracing is on: this may allocate.
func (r *Router) startSpan(s *Session, o *observation) {
	sp := &SpanStart{
		Method:           string(o.msg.Method),
		SessionID:        s.id,
		RequestID:        rawString(o.msg.ID),
		NetworkTransport: s.kind.NetworkTransport(),
		NetworkProtocol:  s.kind.NetworkProtocol(),
		Start:            shards.WallTime(o.start),
	}
	if o.method == MethodInvalid {
		sp.Method = ""
	}
	params := o.msg.Params
	switch o.method {
	case MethodToolsCall:
		sp.ToolName = stringField(params, "name")
		sp.Target = sp.ToolName
	case MethodPromptsGet:
		sp.PromptName = stringField(params, "name")
		sp.Target = sp.PromptName
	case MethodResourcesRead, MethodResourcesSubscribe, MethodResourcesUnsubscribe:
		sp.ResourceURI = stringField(params, "uri")
		sp.Target = sp.ResourceURI
	}
	meta, _ := codec.ObjectField(params, "_meta")
	sp.TraceParent = stringField(meta, "traceparent")
	sp.TraceState = stringField(meta, "tracestate")
	switch {
	case s.era == EraLegacy:
		sp.ProtocolVersion = s.version
	case o.method == MethodInitialize:
		sp.ProtocolVersion = stringField(params, "protocolVersion")
	default:
		sp.ProtocolVersion = stringField(meta, metaProtocolVersion)
	}
	o.ctx, o.span = r.opts.Tracer.Start(context.Background(), sp)
}

// stringField returns obj's member key as a Go string, "" unless it is a
// JSON string.
func stringField(obj []byte, key string) string {
	v, ok := codec.ObjectField(obj, key)
	if !ok {
		return ""
	}
	return rawString(v)
}

// rawString returns a JSON string's value, or any other JSON value's text
// (a numeric request id).
func rawString(v []byte) string {
	if !codec.IsString(v) {
		return string(v)
	}
	b, err := codec.Unquote(nil, v)
	if err != nil {
		return ""
	}
	return string(b)
}
