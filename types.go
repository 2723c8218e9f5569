package densemcp

import (
	"encoding/json"
	"time"
)

// The descriptions a server registers and the values its handlers return,
// in the protocol's shapes: their JSON tags are the wire format.

// Implementation describes the server (serverInfo), as initialize and
// every modern result's _meta show it.
type Implementation struct {
	Name        string `json:"name"`
	Title       string `json:"title,omitempty"`
	Version     string `json:"version"`
	Description string `json:"description,omitempty"`
	WebsiteURL  string `json:"websiteUrl,omitempty"`
	Icons       []Icon `json:"icons,omitempty"`
}

// Icon is an icon of a server, tool, resource or prompt.
type Icon struct {
	// Src is an https: or data: URI of the image.
	Src      string   `json:"src"`
	MimeType string   `json:"mimeType,omitempty"`
	Sizes    []string `json:"sizes,omitempty"` // e.g. "48x48", "any"
	Theme    string   `json:"theme,omitempty"` // "light" or "dark"
}

// Annotations guide how a client uses a resource or a content block.
type Annotations struct {
	// Audience is who the data is for: "user", "assistant", or both.
	Audience []string `json:"audience,omitempty"`
	// Priority from 0 (optional) to 1 (required).
	Priority *float64 `json:"priority,omitempty"`
	// LastModified is an ISO 8601 time.
	LastModified string `json:"lastModified,omitempty"`
}

// Tool describes a tool as tools/list shows it, plus how it runs.
type Tool struct {
	// Name identifies the tool: 1-128 of A-Z a-z 0-9 _ - . /
	Name        string `json:"name"`
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	// InputSchema is the JSON Schema (2020-12) of the arguments, an
	// object schema; AddTool infers it from the input type when empty,
	// AddRawTool uses {"type":"object"}. Arguments are validated against
	// it before the handler runs.
	InputSchema json.RawMessage `json:"inputSchema"`
	// OutputSchema, if set, is the JSON Schema of structuredContent,
	// checked against every result (AddTool infers it from the output
	// type).
	OutputSchema json.RawMessage  `json:"outputSchema,omitempty"`
	Annotations  *ToolAnnotations `json:"annotations,omitempty"`
	Icons        []Icon           `json:"icons,omitempty"`
	// Execution says whether calls may run as tasks; nil: never.
	Execution *ToolExecution `json:"execution,omitempty"`
	Meta      map[string]any `json:"_meta,omitempty"`

	// Inline says the handler never blocks: it runs on the event loop,
	// with no hop to the worker pool. Leave false for anything that does
	// I/O, waits, or runs long.
	Inline bool `json:"-"`
	// OutputConforms says the handler's structured output matches
	// OutputSchema by construction, so the per-call check is skipped
	// (AddTool sets it for schemas it inferred).
	OutputConforms bool `json:"-"`
	// Requires lists client capabilities the tool needs ("elicitation",
	// "sampling", "roots"); a call from a client that did not declare one
	// gets -32021 (modern) or an invalid-request error (legacy).
	Requires []string `json:"-"`
	// DeferTask: a call of a task-supporting tool runs as an ordinary call
	// (answering input_required rounds first, if the handler asks) until
	// the handler calls Request.StartTask. Without it the task starts
	// before the handler runs.
	DeferTask bool `json:"-"`
	// Scopes are the OAuth scopes a call needs (all of them), checked
	// before the handler runs whenever the request carries a Principal.
	Scopes []string `json:"-"`
}

// ToolAnnotations are hints about a tool's behaviour; clients must not
// trust them for security.
type ToolAnnotations struct {
	Title           string `json:"title,omitempty"`
	ReadOnlyHint    *bool  `json:"readOnlyHint,omitempty"`
	DestructiveHint *bool  `json:"destructiveHint,omitempty"`
	IdempotentHint  *bool  `json:"idempotentHint,omitempty"`
	OpenWorldHint   *bool  `json:"openWorldHint,omitempty"`
}

// ToolExecution says how a tool may run.
type ToolExecution struct {
	TaskSupport TaskSupport `json:"taskSupport,omitempty"`
}

// TaskSupport says whether a tool's calls may run as tasks.
type TaskSupport string

// The task support levels of a tool.
const (
	// TaskForbidden (or ""): the tool always answers synchronously.
	TaskForbidden TaskSupport = "forbidden"
	// TaskOptional: the call becomes a task when the client supports tasks
	// (modern: declares the extension; legacy: sends the task param).
	TaskOptional TaskSupport = "optional"
	// TaskRequired: the tool runs only as a task; a client that cannot
	// take one gets -32021 (modern) or -32601 (legacy).
	TaskRequired TaskSupport = "required"
)

// Resource is a concrete resource as resources/list shows it.
type Resource struct {
	URI         string         `json:"uri"`
	Name        string         `json:"name"`
	Title       string         `json:"title,omitempty"`
	Description string         `json:"description,omitempty"`
	MimeType    string         `json:"mimeType,omitempty"`
	Size        *int64         `json:"size,omitempty"`
	Annotations *Annotations   `json:"annotations,omitempty"`
	Icons       []Icon         `json:"icons,omitempty"`
	Meta        map[string]any `json:"_meta,omitempty"`

	// Inline says the handler never blocks (runs on the event loop).
	Inline bool `json:"-"`
	// Scopes are the OAuth scopes reading (or subscribing to) the resource
	// needs (see Tool.Scopes).
	Scopes []string `json:"-"`
}

// ResourceTemplate is an RFC 6570 URI template of resources, as
// resources/templates/list shows it.
type ResourceTemplate struct {
	URITemplate string         `json:"uriTemplate"`
	Name        string         `json:"name"`
	Title       string         `json:"title,omitempty"`
	Description string         `json:"description,omitempty"`
	MimeType    string         `json:"mimeType,omitempty"`
	Annotations *Annotations   `json:"annotations,omitempty"`
	Icons       []Icon         `json:"icons,omitempty"`
	Meta        map[string]any `json:"_meta,omitempty"`

	// Inline says the handler never blocks (runs on the event loop).
	Inline bool `json:"-"`
	// Complete, if set, answers completion/complete for a variable.
	Complete CompleteFunc `json:"-"`
	// Scopes are the OAuth scopes reading a matching URI needs.
	Scopes []string `json:"-"`
}

// ResourceContents is one item of a resources/read result, or a resource
// embedded in a content block. Exactly one of Text and Blob is meant to be
// set (TextContents, BlobContents); Blob is raw bytes, sent base64-encoded.
type ResourceContents struct {
	URI      string         `json:"uri"`
	MimeType string         `json:"mimeType,omitempty"`
	Text     *string        `json:"text,omitempty"`
	Blob     []byte         `json:"blob,omitempty"`
	Meta     map[string]any `json:"_meta,omitempty"`
}

// TextContents returns text resource contents.
func TextContents(uri, mimeType, text string) ResourceContents {
	return ResourceContents{URI: uri, MimeType: mimeType, Text: &text}
}

// BlobContents returns binary resource contents (sent base64-encoded).
func BlobContents(uri, mimeType string, blob []byte) ResourceContents {
	return ResourceContents{URI: uri, MimeType: mimeType, Blob: blob}
}

// PromptArgument describes one argument of a prompt.
type PromptArgument struct {
	Name        string `json:"name"`
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	Required    bool   `json:"required,omitempty"`
}

// Prompt is a prompt template as prompts/list shows it.
type Prompt struct {
	Name        string           `json:"name"`
	Title       string           `json:"title,omitempty"`
	Description string           `json:"description,omitempty"`
	Arguments   []PromptArgument `json:"arguments,omitempty"`
	Icons       []Icon           `json:"icons,omitempty"`
	Meta        map[string]any   `json:"_meta,omitempty"`

	// Inline says the handler never blocks (runs on the event loop).
	Inline bool `json:"-"`
	// Complete, if set, answers completion/complete for an argument.
	Complete CompleteFunc `json:"-"`
	// Scopes are the OAuth scopes getting the prompt needs.
	Scopes []string `json:"-"`
}

// Content is a content block: of a prompt message, a sampling message or
// (through ToolResult.Add) a tool result. Build one with Text, Image,
// Audio, EmbeddedResource or ResourceLink.
type Content struct {
	// Type is "text", "image", "audio", "resource" or "resource_link".
	Type string `json:"type"`
	Text string `json:"text,omitempty"`
	// Data is base64 (image and audio).
	Data     string            `json:"data,omitempty"`
	MimeType string            `json:"mimeType,omitempty"`
	Resource *ResourceContents `json:"resource,omitempty"`
	// URI and Name name the target of a resource_link.
	URI         string       `json:"uri,omitempty"`
	Name        string       `json:"name,omitempty"`
	Annotations *Annotations `json:"annotations,omitempty"`
}

// PromptMessage is one message of a prompts/get result.
type PromptMessage struct {
	// Role is "user" or "assistant".
	Role    string  `json:"role"`
	Content Content `json:"content"`
}

// GetPromptResult is what a prompt handler returns.
type GetPromptResult struct {
	Description string          `json:"description,omitempty"`
	Messages    []PromptMessage `json:"messages"`
}

// Era is the protocol era of a session or request.
type Era uint8

// The eras.
const (
	// EraUnknown: nothing decisive has arrived yet.
	EraUnknown Era = iota
	// EraLegacy: the initialize handshake, revisions up to 2025-11-25.
	EraLegacy
	// EraModern: stateless, per-request _meta, 2026-07-28.
	EraModern
)

func (e Era) String() string {
	switch e {
	case EraLegacy:
		return "legacy"
	case EraModern:
		return "modern"
	}
	return "unknown"
}

// LogLevel is the severity of Request.Log (RFC 5424, as MCP names them).
type LogLevel int8

// Log levels, least severe first.
const (
	LevelDebug LogLevel = iota
	LevelInfo
	LevelNotice
	LevelWarning
	LevelError
	LevelCritical
	LevelAlert
	LevelEmergency
)

var levelNames = [...]string{"debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"}

func (l LogLevel) String() string {
	if l >= LevelDebug && l <= LevelEmergency {
		return levelNames[l]
	}
	return "invalid"
}

// Principal is who a request's credential names (authorization on; see
// Options.Auth): Request.Principal and Session.Principal return it.
type Principal struct {
	// Subject is the token's sub claim (the introspected sub, or else its
	// client_id). A legacy HTTP session is bound to the subject (and
	// issuer) that created it.
	Subject string
	// Issuer is the authorization server that issued the token.
	Issuer string
	// ClientID is the OAuth client the token was issued to, if known.
	ClientID string
	// Scopes are the scopes the token grants.
	Scopes []string
	// AllScopes: the credential grants every scope (the static token).
	AllScopes bool
	// Expiry is when the token expires (zero: never, the static token).
	Expiry time.Time
	// Claims are the token's claims as decoded JSON (a JWT's payload or an
	// introspection response); nil for the static token. Read-only.
	Claims map[string]any
}
