package router

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/codec/schema"
)

// Icon is an icon of a server, tool, resource or prompt.
type Icon struct {
	Src      string   `json:"src"`
	MimeType string   `json:"mimeType,omitempty"`
	Sizes    []string `json:"sizes,omitempty"`
	Theme    string   `json:"theme,omitempty"`
}

// ToolAnnotations are hints about a tool's behaviour (never trusted for
// security by clients).
type ToolAnnotations struct {
	Title           string `json:"title,omitempty"`
	ReadOnlyHint    *bool  `json:"readOnlyHint,omitempty"`
	DestructiveHint *bool  `json:"destructiveHint,omitempty"`
	IdempotentHint  *bool  `json:"idempotentHint,omitempty"`
	OpenWorldHint   *bool  `json:"openWorldHint,omitempty"`
}

// Tool describes a tool as tools/list shows it, plus how it runs.
type Tool struct {
	Name         string           `json:"name"`
	Title        string           `json:"title,omitempty"`
	Description  string           `json:"description,omitempty"`
	InputSchema  json.RawMessage  `json:"inputSchema"`
	OutputSchema json.RawMessage  `json:"outputSchema,omitempty"`
	Annotations  *ToolAnnotations `json:"annotations,omitempty"`
	Icons        []Icon           `json:"icons,omitempty"`
	// Execution says whether the tool may run as a task (tasks.go):
	// TaskSupport "optional" or "required"; nil means forbidden.
	Execution *ToolExecution `json:"execution,omitempty"`
	Meta      map[string]any `json:"_meta,omitempty"`

	// Inline says the handler never blocks: it runs on the event loop,
	// with no hop to the worker pool. Leave false for anything that does
	// I/O, waits, or runs long.
	Inline bool `json:"-"`
	// OutputConforms says the handler's structured output matches
	// OutputSchema by construction (the schema was inferred from the Go type
	// that is encoded), so the per-call output validation is skipped.
	OutputConforms bool `json:"-"`
	// Requires lists client capabilities the tool needs (e.g.
	// "elicitation", "sampling", "roots"); a call from a client that did not
	// declare one gets -32021 (modern) or an invalid-request error (legacy).
	Requires []string `json:"-"`
	// DeferTask: a call of a task-supporting tool runs as an ordinary call
	// (answering input_required rounds first, if the handler asks) until
	// the handler calls Request.StartTask. Without it the task starts
	// before the handler runs.
	DeferTask bool `json:"-"`
	// Scopes are the OAuth scopes a call needs (all of them), checked
	// before the handler runs whenever the request carries a Principal;
	// a token without one gets CodeInsufficientScope (HTTP 403 with
	// WWW-Authenticate: Bearer error="insufficient_scope").
	Scopes []string `json:"-"`
}

// ToolHandler runs a tool. args is the raw, already validated arguments
// object ("{}" when the client sent none); it and anything decoded from it
// without copying are valid only until the handler returns. The handler
// fills req.Result. A returned error becomes a tool result with isError
// true and the error text, as the spec asks for tool execution errors.
type ToolHandler func(req *Request, args []byte) error

type toolEntry struct {
	tool     Tool
	listJSON []byte // the tools/list element, rendered once
	input    *schema.Schema
	output   *schema.Schema
	handler  ToolHandler
	headers  []HeaderParam // x-mcp-header parameters (toolheaders.go)
	scopes   []string      // Tool.Scopes with the policy's ToolScopes
	label    int32         // metric label id (Router.ToolLabels)
}

// validToolName follows the spec's naming guidance (SEP-986): 1-128 of
// A-Z a-z 0-9 _ - . /
func validToolName(name string) bool {
	if len(name) == 0 || len(name) > 128 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '/') {
			return false
		}
	}
	return true
}

// AddTool registers (or, with replace, replaces) a tool. Safe for
// concurrent use; sessions are told with notifications/tools/list_changed.
func (r *Router) AddTool(t Tool, h ToolHandler, replace bool) error {
	if !validToolName(t.Name) {
		return fmt.Errorf("invalid tool name %q: use 1-128 of A-Z a-z 0-9 _ - . /", t.Name)
	}
	if h == nil {
		return fmt.Errorf("tool %q: nil handler", t.Name)
	}
	if len(t.InputSchema) == 0 {
		t.InputSchema = json.RawMessage(`{"type":"object"}`)
	}
	e := &toolEntry{tool: t, handler: h}
	var err error
	if e.scopes, err = scopeSet(t.Scopes, r.opts.Auth.ToolScopes[t.Name]); err != nil {
		return fmt.Errorf("tool %q: %w", t.Name, err)
	}
	if e.input, err = schema.Compile(t.InputSchema); err != nil {
		return fmt.Errorf("tool %q: cannot compile inputSchema: %w", t.Name, err)
	}
	if !isObjectSchema(t.InputSchema) {
		return fmt.Errorf("tool %q: inputSchema must have \"type\": \"object\"", t.Name)
	}
	if e.headers, err = headerParamsOf(t.InputSchema); err != nil {
		return fmt.Errorf("tool %q: %w", t.Name, err)
	}
	if len(t.OutputSchema) > 0 {
		if e.output, err = schema.Compile(t.OutputSchema); err != nil {
			return fmt.Errorf("tool %q: cannot compile outputSchema: %w", t.Name, err)
		}
	}
	if e.listJSON, err = codec.AppendJSON(nil, &e.tool); err != nil {
		return fmt.Errorf("tool %q: cannot encode: %w", t.Name, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.registry.tools[t.Name]; ok && !replace {
		return fmt.Errorf("%w: %q", ErrToolExists, t.Name)
	}
	e.label = r.toolLabel(t.Name)
	r.registry.tools[t.Name] = e
	r.publish(changeTools)
	return nil
}

// RemoveTools unregisters tools by name and reports how many were removed.
func (r *Router) RemoveTools(names ...string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, name := range names {
		if _, ok := r.registry.tools[name]; ok {
			delete(r.registry.tools, name)
			n++
		}
	}
	if n > 0 {
		r.publish(changeTools)
	}
	return n
}

func isObjectSchema(doc []byte) bool {
	t, ok := codec.ObjectField(doc, "type")
	return ok && string(t) == `"object"`
}

// Change kinds told to shard members.
const (
	changeTools uint8 = iota + 1
	changePrompts
	changeResources
	changeResourceUpdated
)

// listTools answers tools/list, one page after the cursor.
func (r *Router) listTools(q *request) {
	after, ok := q.cursor()
	if !ok {
		q.s.replyError(q.id, codec.CodeInvalidParams, "Invalid cursor", nil)
		return
	}
	cat := r.catalogOf(q.s.shard)
	// Cursors name the last item shown, so pages stay correct when tools
	// come and go.
	start, end := r.page(len(cat.tools), func(i int) string { return cat.tools[i].tool.Name }, after)
	buf := q.s.beginResult(q.id)
	buf = append(buf, `{"tools":[`...)
	for i := start; i < end; i++ {
		if i > start {
			buf = append(buf, ',')
		}
		buf = append(buf, cat.tools[i].listJSON...)
	}
	buf = append(buf, ']')
	if end < len(cat.tools) {
		buf = appendNextCursor(buf, cat.tools[end-1].tool.Name)
	}
	buf = r.appendEraFields(buf, q.s.era, true)
	buf = append(buf, '}')
	q.s.endResult(q.id, buf)
}

// callTool answers tools/call.
func (r *Router) callTool(q *request) {
	s := q.s
	if !codec.IsObject(q.params) {
		s.replyError(q.id, codec.CodeInvalidParams, "tools/call needs params with a name", nil)
		return
	}
	// One pass over params picks out every member the call needs.
	var nameTok, args, meta []byte
	q.idx.Each(q.params, func(k, v []byte) bool {
		switch string(k) {
		case "name":
			nameTok = v
		case "arguments":
			args = v
		case "_meta":
			meta = v
		case "requestState":
			q.requestState = v
		case "inputResponses":
			q.inputResponses = v
		case "task":
			q.taskParam = v
		}
		return true
	})
	q.paramsScanned = true
	if q.meta == nil {
		q.meta = meta
	}
	q.metaKnown = true
	if !codec.IsString(nameTok) {
		s.replyError(q.id, codec.CodeInvalidParams, "tools/call: name must be a string", nil)
		return
	}
	// The decoder validated the token: without a backslash its contents are
	// the name, and the copy Unquote makes is needed only for escapes.
	name := nameTok[1 : len(nameTok)-1]
	if bytes.IndexByte(name, '\\') >= 0 {
		var nb [128]byte
		var err error
		if name, err = codec.Unquote(nb[:0], nameTok); err != nil {
			s.replyError(q.id, codec.CodeInvalidParams, "tools/call: bad name", nil)
			return
		}
	}
	e := r.toolNamed(s.shard, name)
	if e == nil {
		s.replyError(q.id, codec.CodeInvalidParams, "Unknown tool: "+string(name), nil)
		return
	}
	if r.observing() {
		r.markTool(s, e)
	}
	if !q.permits(e.scopes) {
		return
	}
	if args == nil || codec.IsNull(args) {
		args = emptyObject
	} else if !codec.IsObject(args) {
		s.replyError(q.id, codec.CodeInvalidParams, "tools/call: arguments must be an object", nil)
		return
	}
	for _, c := range e.tool.Requires {
		if !q.requireCapability(c) {
			return
		}
	}
	mode, ok := r.taskModeOf(q, e, q.taskParam)
	switch {
	case !ok:
		return
	case mode == taskNow:
		if c := s.capture; c != nil && c.resolving {
			c.holdTask(q, e) // a hook decides first (middleware.go)
			return
		}
		r.startTaskNow(q, e)
		return
	}
	deferTask := mode == taskDeferred
	r.dispatch(q, target{kind: targetTool, tool: e, inline: e.tool.Inline && !deferTask, deferTask: deferTask}, args)
}

var emptyObject = []byte(`{}`)

// runTool validates args and runs the tool's handler. A validation failure
// or a handler error becomes a tool result with isError (SEP-1303: the
// model sees the message and can correct itself).
func runTool(req *Request, e *toolEntry, args []byte) error {
	if err := e.input.Validate(args); err != nil {
		req.Result.SetError("invalid arguments: " + err.Error())
		return nil
	}
	if err := e.handler(req, args); err != nil {
		if isProtocolError(err) || len(req.inputRequests) > 0 {
			return err
		}
		req.Result.Reset()
		req.Result.SetError(err.Error())
	}
	return nil
}

// appendToolResult renders a CallToolResult. A structured result is
// checked against the tool's outputSchema.
func (r *Router) appendToolResult(buf []byte, era Era, e *toolEntry, res *ToolResult) ([]byte, error) {
	if e.output != nil && !res.isError && !e.tool.OutputConforms {
		if res.structured == nil {
			return buf, fmt.Errorf("tool %q returned no structuredContent but declares an outputSchema", e.tool.Name)
		}
		if err := e.output.Validate(res.structured); err != nil {
			return buf, fmt.Errorf("tool %q output does not match its outputSchema: %s", e.tool.Name, strings.TrimSpace(err.Error()))
		}
	}
	buf = append(buf, `{"content":[`...)
	buf = append(buf, res.content...)
	buf = append(buf, ']')
	if res.structured != nil {
		buf = append(buf, `,"structuredContent":`...)
		buf = append(buf, res.structured...)
	}
	if res.isError {
		buf = append(buf, `,"isError":true`...)
	}
	buf = r.appendEraFields(buf, era, false)
	buf = append(buf, '}')
	return buf, nil
}
