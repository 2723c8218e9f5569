package router

import (
	"context"

	"github.com/densemcp/densemcp/codec"
)

// Request is what a tool handler sees of the request it serves.
type Request struct {
	// Result is filled by the handler.
	Result ToolResult

	ctx      context.Context
	session  *Session
	meta     []byte // params._meta, raw; valid until the handler returns
	panicked bool
}

// Context is cancelled when the client cancels the request, the session
// ends or the server shuts down. Inline handlers get a context that is
// never cancelled: they must not block.
func (q *Request) Context() context.Context { return q.ctx }

// Era returns the protocol era of the request.
func (q *Request) Era() Era { return q.session.era }

// Meta returns the raw _meta object of the request (nil if none). It is
// valid only until the handler returns.
func (q *Request) Meta() []byte { return q.meta }

func (q *Request) begin(rq *request, ctx context.Context) {
	q.Result.Reset()
	q.Result.req = q
	q.ctx = ctx
	q.session = rq.s
	q.panicked = false
	q.meta, _ = codec.ObjectField(rq.params, "_meta")
}

// inlineRequest returns the session's reusable Request for inline tools.
func (s *Session) inlineRequest() *Request {
	if s.inline == nil {
		s.inline = &Request{}
	}
	return s.inline
}

// ToolResult accumulates a CallToolResult. Append-style and reusable, so an
// inline tool that writes text allocates nothing in steady state.
type ToolResult struct {
	content    []byte // comma-separated content blocks
	structured []byte // raw JSON, nil when unset
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

// HasContent reports whether any content block was added.
func (r *ToolResult) HasContent() bool { return len(r.content) > 0 }

// SetError marks the result as a tool error and adds msg as text.
func (r *ToolResult) SetError(msg string) {
	r.isError = true
	r.AddText(msg)
}

// IsError reports whether SetError was called.
func (r *ToolResult) IsError() bool { return r.isError }

type routerError string

func (e routerError) Error() string { return string(e) }

const errContentNotObject = routerError("content block must be a valid JSON object")
