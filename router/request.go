package router

import (
	"context"
	"strconv"

	"github.com/densemcp/densemcp/codec"
)

// Request is what a handler sees of the request it serves: its context,
// its era, its _meta, and the calls that reach back to the client
// (progress, logging, elicitation, sampling, roots). The same calls work in
// both eras: legacy sends a server→client request and waits; modern asks
// the client through an input_required result and the retried request.
type Request struct {
	// Result is filled by tool handlers.
	Result ToolResult
	// Ext is free for the package that wraps the router's API (the root
	// densemcp package keeps its view of the Request here, made once per
	// Request, which the loop reuses for its inline handlers).
	Ext any

	ctx       context.Context
	session   *Session
	r         *Router
	id        []byte // raw request id (copied for pooled handlers)
	meta      []byte // params._meta, raw; valid until the handler returns
	onLoop    bool
	progress  []byte // raw progressToken, nil if none
	lastProg  float64
	logLevel  LogLevel // modern: from _meta; legacy: levelUnset (session's)
	principal *Principal

	// Multi round-trip (modern era).
	responses     []byte // merged inputResponses object, raw
	method        []byte // for binding a requestState to this request
	params        []byte
	inputRequests []inputRequest
	inputSeq      [3]int // per kind: elicitation, sampling, roots

	// Tasks: the task the handler runs as, or the right to start one.
	task     *taskRun
	deferred *deferredTask

	// Outcome.
	err          error
	contents     []ResourceContents
	promptResult *GetPromptResult
	completions  []string
}

// Context is cancelled when the client cancels the request, the session
// ends or the server shuts down. Inline handlers get a context that is
// never cancelled: they must not block.
func (q *Request) Context() context.Context { return q.ctx }

// Session returns the session the request belongs to.
func (q *Request) Session() *Session { return q.session }

// Era returns the protocol era of the request.
func (q *Request) Era() Era { return q.session.era }

// Meta returns the raw _meta object of the request (nil if none). It is
// valid only until the handler returns.
func (q *Request) Meta() []byte { return q.meta }

// TraceParent returns the W3C traceparent the client put in _meta (SEP-414),
// or "" — for handlers that continue the client's trace.
func (q *Request) TraceParent() string { return q.metaString("traceparent") }

// TraceState returns the W3C tracestate from _meta, or "".
func (q *Request) TraceState() string { return q.metaString("tracestate") }

func (q *Request) metaString(key string) string {
	v, ok := codec.ObjectField(q.meta, key)
	if !ok || !codec.IsString(v) {
		return ""
	}
	s, err := codec.Unquote(nil, v)
	if err != nil {
		return ""
	}
	return string(s)
}

func (q *Request) begin(rq *request, ctx context.Context, onLoop bool) {
	q.Result.Reset()
	q.Result.req = q
	q.ctx = ctx
	q.session = rq.s
	q.r = rq.s.r
	q.id = rq.id
	q.onLoop = onLoop
	q.principal = rq.s.principal
	rq.scanMeta()
	q.meta = rq.meta
	q.progress = nil
	q.lastProg = -1
	if tok := rq.progressTok; tok != nil && (codec.IsString(tok) || isNumberToken(tok)) {
		if onLoop {
			q.progress = tok
		} else {
			q.progress = append([]byte(nil), tok...)
		}
	}
	q.logLevel = levelUnset
	if rq.s.era == EraModern {
		if v := rq.logLevelTok; v != nil {
			q.logLevel = parseLevelToken(v)
		}
	}
	q.responses = nil
	q.method = rq.method
	q.params = rq.params
	q.inputRequests = q.inputRequests[:0]
	q.inputSeq = [3]int{}
	q.task, q.deferred = nil, nil
	q.err = nil
	q.contents = nil
	q.promptResult = nil
	q.completions = nil
}

func isNumberToken(v []byte) bool {
	return len(v) > 0 && (v[0] == '-' || v[0] >= '0' && v[0] <= '9')
}

// emit sends a message related to this request: directly when the handler
// runs on the loop, else posted to the session's shard (copied). Off the
// loop the handler runs on a worker, never on a shard's goroutine, so it
// waits while the shard's inbox is full: a handler emitting faster than
// its shard drains is slowed down rather than losing messages silently.
// The wait ends with the handler's context (PostWait): once the call has
// timed out or been cancelled, a message it still sends is dropped. So a
// handler holding a lock that its shard's goroutine waits for (an inline
// handler taking the same mutex) is freed by its timeout instead of
// waiting for room that never comes.
func (q *Request) emit(msg []byte) { q.emitKind(MsgRelated, msg) }

func (q *Request) emitKind(kind MsgKind, msg []byte) {
	s := q.session
	if q.onLoop {
		if !s.closed {
			s.out.Send(kind, q.id, msg)
		}
		return
	}
	if _, gone := s.out.(discardTransport); gone {
		return // a modern task's: no stream to carry it, so no post
	}
	own := append([]byte(nil), msg...)
	id := q.id
	ctx := q.ctx
	if ctx == nil { // a Request made outside a call
		ctx = context.Background()
	}
	// The error: the shard is gone (the session with it), or the call ended.
	_ = s.shard.PostWait(ctx, func() {
		if !s.closed {
			s.out.Send(kind, id, own)
		}
	})
}

// CloseStream asks the transport to end the SSE stream carrying this
// request while the handler goes on (SEP-1699 polling): its later messages
// and its answer wait for the client to resume the stream with
// Last-Event-ID. Only legacy HTTP sessions with replay on (and a stream
// already open) do this; elsewhere it does nothing.
func (q *Request) CloseStream() { q.emitKind(MsgCloseStream, nil) }

// Progress sends notifications/progress for the request's progressToken
// (nothing if the client sent none). Progress must increase; a value not
// above the last one is dropped, as the spec requires. Off the loop it
// waits while the shard's inbox is full (emit).
func (q *Request) Progress(progress, total float64, message string) {
	if q.progress == nil || progress <= q.lastProg {
		return
	}
	q.lastProg = progress
	var b [256]byte
	p := append(b[:0], `{"progressToken":`...)
	p = append(p, q.progress...)
	p = append(p, `,"progress":`...)
	p = strconv.AppendFloat(p, progress, 'g', -1, 64)
	if total > 0 {
		p = append(p, `,"total":`...)
		p = strconv.AppendFloat(p, total, 'g', -1, 64)
	}
	if message != "" {
		p = append(p, `,"message":`...)
		p = codec.AppendString(p, message)
	}
	p = append(p, '}')
	q.notify("notifications/progress", p)
}

// ToolResult accumulates a CallToolResult. Append-style and reusable, so an
// inline tool that writes text allocates nothing in steady state.
type ToolResult struct {
	content    []byte // comma-separated content blocks
	structured []byte // raw JSON, nil when unset
	structBuf  []byte // reusable storage for structured output
	isError    bool
	req        *Request
}

// Reset empties the result, keeping its buffers.
func (r *ToolResult) Reset() {
	r.content = r.content[:0]
	r.structured = nil
	r.isError = false
}

func (r *ToolResult) sep() {
	if len(r.content) > 0 {
		r.content = append(r.content, ',')
	}
}

// AddText appends a text content block.
func (r *ToolResult) AddText(text string) {
	r.sep()
	r.content = append(r.content, `{"type":"text","text":`...)
	r.content = codec.AppendString(r.content, text)
	r.content = append(r.content, '}')
}

// AddTextBytes appends a text content block from bytes.
func (r *ToolResult) AddTextBytes(text []byte) {
	r.sep()
	r.content = append(r.content, `{"type":"text","text":`...)
	r.content = codec.AppendStringBytes(r.content, text)
	r.content = append(r.content, '}')
}

// AddImage appends an image block; data is base64 already.
func (r *ToolResult) AddImage(base64Data, mimeType string) {
	r.addMedia("image", base64Data, mimeType)
}

// AddAudio appends an audio block; data is base64 already.
func (r *ToolResult) AddAudio(base64Data, mimeType string) {
	r.addMedia("audio", base64Data, mimeType)
}

func (r *ToolResult) addMedia(kind, data, mime string) {
	r.sep()
	r.content = append(r.content, `{"type":"`...)
	r.content = append(r.content, kind...)
	r.content = append(r.content, `","data":`...)
	r.content = codec.AppendString(r.content, data)
	r.content = append(r.content, `,"mimeType":`...)
	r.content = codec.AppendString(r.content, mime)
	r.content = append(r.content, '}')
}

// AddResource appends an embedded resource block.
func (r *ToolResult) AddResource(rc ResourceContents) error {
	b, err := codec.AppendJSON(nil, &Content{Type: "resource", Resource: &rc})
	if err != nil {
		return err
	}
	r.sep()
	r.content = append(r.content, b...)
	return nil
}

// AddResourceLink appends a resource_link block pointing at uri.
func (r *ToolResult) AddResourceLink(uri, name, mimeType string) error {
	b, err := codec.AppendJSON(nil, &Content{Type: "resource_link", URI: uri, Name: name, MimeType: mimeType})
	if err != nil {
		return err
	}
	r.sep()
	r.content = append(r.content, b...)
	return nil
}

// AddContent appends a raw JSON content block (resource_link, resource, or
// anything the builders above do not cover). It must be a valid object.
func (r *ToolResult) AddContent(raw []byte) error {
	if err := codec.Valid(raw); err != nil || !codec.IsObject(raw) {
		return errContentNotObject
	}
	r.sep()
	r.content = append(r.content, raw...)
	return nil
}

// SetStructured sets structuredContent to the raw JSON value (copied).
func (r *ToolResult) SetStructured(raw []byte) error {
	if err := codec.Valid(raw); err != nil {
		return err
	}
	r.structured = append(r.structured[:0:0], raw...)
	return nil
}

// SetStructuredOwned sets structuredContent without copying; raw must stay
// unchanged until the result is sent. For the typed-handler adapter.
func (r *ToolResult) SetStructuredOwned(raw []byte) { r.structured = raw }

// EncodeStructured encodes v (sonic, no HTML escaping) as structuredContent
// into a buffer the Request reuses across calls.
func (r *ToolResult) EncodeStructured(v any) error {
	b, err := codec.AppendJSON(r.structBuf[:0], v)
	if err != nil {
		return err
	}
	r.structBuf = b[:0]
	r.structured = b
	return nil
}

// StructuredJSON returns the structuredContent set so far (nil if none).
func (r *ToolResult) StructuredJSON() []byte { return r.structured }

// HasContent reports whether any content block was added.
func (r *ToolResult) HasContent() bool { return len(r.content) > 0 }

// SetError marks the result as a tool error and adds msg as text.
func (r *ToolResult) SetError(msg string) {
	r.isError = true
	r.AddText(msg)
}

// IsError reports whether SetError was called.
func (r *ToolResult) IsError() bool { return r.isError }
