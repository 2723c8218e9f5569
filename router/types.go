package router

import "encoding/json"

// Annotations guide how a client uses a resource or content block.
type Annotations struct {
	Audience     []string `json:"audience,omitempty"`
	Priority     *float64 `json:"priority,omitempty"`
	LastModified string   `json:"lastModified,omitempty"`
}

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
	// needs, checked before the handler runs (see Tool.Scopes).
	Scopes []string `json:"-"`
}

// ResourceTemplate is an RFC 6570 URI template of resources.
type ResourceTemplate struct {
	URITemplate string         `json:"uriTemplate"`
	Name        string         `json:"name"`
	Title       string         `json:"title,omitempty"`
	Description string         `json:"description,omitempty"`
	MimeType    string         `json:"mimeType,omitempty"`
	Annotations *Annotations   `json:"annotations,omitempty"`
	Icons       []Icon         `json:"icons,omitempty"`
	Meta        map[string]any `json:"_meta,omitempty"`

	Inline bool `json:"-"`
	// Complete, if set, answers completion/complete for a template variable.
	Complete CompleteFunc `json:"-"`
	// Scopes are the OAuth scopes reading a matching URI (and completing
	// the template's variables) needs (see Tool.Scopes).
	Scopes []string `json:"-"`
}

// ResourceContents is one item of a resources/read result, or an embedded
// resource. Exactly one of Text and Blob is meant to be set; Blob is raw
// bytes and is sent base64-encoded.
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

// BlobContents returns binary resource contents.
func BlobContents(uri, mimeType string, blob []byte) ResourceContents {
	return ResourceContents{URI: uri, MimeType: mimeType, Blob: blob}
}

// ResourceHandler reads a resource. vars holds the URI template's variables
// (nil for a concrete resource). Return ErrResourceNotFound when the URI
// names nothing.
type ResourceHandler func(req *Request, uri string, vars map[string]string) ([]ResourceContents, error)

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

	Inline bool `json:"-"`
	// Complete, if set, answers completion/complete for an argument.
	Complete CompleteFunc `json:"-"`
	// Scopes are the OAuth scopes getting (and completing) the prompt
	// needs (see Tool.Scopes).
	Scopes []string `json:"-"`
}

// Content is a content block of a prompt message (and of sampling
// messages): text, image, audio, resource (embedded) or resource_link.
type Content struct {
	Type        string            `json:"type"`
	Text        string            `json:"text,omitempty"`
	Data        string            `json:"data,omitempty"` // base64, image and audio
	MimeType    string            `json:"mimeType,omitempty"`
	Resource    *ResourceContents `json:"resource,omitempty"`
	URI         string            `json:"uri,omitempty"` // resource_link
	Name        string            `json:"name,omitempty"`
	Annotations *Annotations      `json:"annotations,omitempty"`
}

// PromptMessage is one message of a prompts/get result.
type PromptMessage struct {
	Role    string  `json:"role"`
	Content Content `json:"content"`
}

// GetPromptResult is what a prompt handler returns.
type GetPromptResult struct {
	Description string          `json:"description,omitempty"`
	Messages    []PromptMessage `json:"messages"`
}

// PromptHandler renders a prompt; args holds the client's arguments, with
// every required one present.
type PromptHandler func(req *Request, args map[string]string) (*GetPromptResult, error)

// CompleteFunc suggests values for argument arg (of a prompt, or a variable
// of a resource template) given the prefix typed so far and the other
// arguments already resolved. Return at most what is useful; the router
// sends at most 100 and reports the total.
type CompleteFunc func(req *Request, arg, prefix string, context map[string]string) ([]string, error)

// RPCError is a handler error with a JSON-RPC code of its choosing.
type RPCError struct {
	Code    int
	Message string
	Data    json.RawMessage
}

func (e *RPCError) Error() string { return e.Message }

// JSONRPCError implements CodedError.
func (e *RPCError) JSONRPCError() (code int, message string, data []byte) {
	return e.Code, e.Message, e.Data
}

// CodedError is an error that chooses the JSON-RPC error it becomes when a
// handler or middleware returns it (RPCError, and the root package's).
type CodedError interface {
	error
	JSONRPCError() (code int, message string, data []byte)
}

// MissingCapabilityError is an error saying the client did not declare a
// capability the call needs (CapabilityError, and the root package's):
// -32021 in the modern era, an invalid-request error in the legacy era.
type MissingCapabilityError interface {
	error
	MissingCapability() string
}
