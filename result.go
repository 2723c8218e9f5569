package densemcp

import (
	"encoding/base64"
	"encoding/json"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/router"
)

// ToolResult accumulates a tools/call result: content blocks, optional
// structured content, and whether it reports a failure. Append-style and
// reused, so an inline tool that writes text allocates nothing in steady
// state.
type ToolResult struct {
	r *router.ToolResult
}

// Reset empties the result, keeping its buffers.
func (t *ToolResult) Reset() { t.r.Reset() }

// Add appends a content block (Text, Image, Audio, EmbeddedResource,
// ResourceLink, or one built by hand).
func (t *ToolResult) Add(c Content) error {
	switch {
	case c.Type == "text" && c.Annotations == nil:
		t.r.AddText(c.Text)
		return nil
	case (c.Type == "image" || c.Type == "audio") && c.Annotations == nil:
		if c.Type == "image" {
			t.r.AddImage(c.Data, c.MimeType)
		} else {
			t.r.AddAudio(c.Data, c.MimeType)
		}
		return nil
	}
	b, err := codec.AppendJSON(nil, &c)
	if err != nil {
		return err
	}
	return t.r.AddContent(b)
}

// AddText appends a text block.
func (t *ToolResult) AddText(text string) { t.r.AddText(text) }

// AddTextBytes appends a text block from bytes (copied).
func (t *ToolResult) AddTextBytes(text []byte) { t.r.AddTextBytes(text) }

// AddImage appends an image block; base64Data is base64 already.
func (t *ToolResult) AddImage(base64Data, mimeType string) { t.r.AddImage(base64Data, mimeType) }

// AddAudio appends an audio block; base64Data is base64 already.
func (t *ToolResult) AddAudio(base64Data, mimeType string) { t.r.AddAudio(base64Data, mimeType) }

// AddResource appends an embedded resource block.
func (t *ToolResult) AddResource(rc ResourceContents) error {
	return t.r.AddResource(router.ResourceContents(rc))
}

// AddResourceLink appends a resource_link block pointing at uri.
func (t *ToolResult) AddResourceLink(uri, name, mimeType string) error {
	return t.r.AddResourceLink(uri, name, mimeType)
}

// AddContent appends a raw JSON content block; it must be a valid object.
func (t *ToolResult) AddContent(raw json.RawMessage) error { return t.r.AddContent(raw) }

// SetStructured sets structuredContent to the raw JSON value (copied).
func (t *ToolResult) SetStructured(raw json.RawMessage) error { return t.r.SetStructured(raw) }

// SetStructuredOwned sets structuredContent without copying: raw must stay
// unchanged until the result is sent (after the handler returns), e.g. the
// handler's args.
func (t *ToolResult) SetStructuredOwned(raw json.RawMessage) { t.r.SetStructuredOwned(raw) }

// EncodeStructured encodes v as structuredContent, into a buffer the
// server reuses.
func (t *ToolResult) EncodeStructured(v any) error { return t.r.EncodeStructured(v) }

// StructuredJSON returns the structuredContent set so far (nil if none).
func (t *ToolResult) StructuredJSON() json.RawMessage { return t.r.StructuredJSON() }

// HasContent reports whether any content block was added.
func (t *ToolResult) HasContent() bool { return t.r.HasContent() }

// SetError marks the result as a tool failure (isError) and adds msg as
// text: the model sees it and can correct itself.
func (t *ToolResult) SetError(msg string) { t.r.SetError(msg) }

// IsError reports whether SetError was called.
func (t *ToolResult) IsError() bool { return t.r.IsError() }

// Content block constructors, for tool results (ToolResult.Add), prompt
// messages and sampling messages.

// Text returns a text content block.
func Text(text string) Content { return Content{Type: "text", Text: text} }

// Image returns an image content block of data (raw bytes, base64-encoded
// here), e.g. Image(png, "image/png").
func Image(data []byte, mimeType string) Content {
	return Content{Type: "image", Data: base64.StdEncoding.EncodeToString(data), MimeType: mimeType}
}

// Audio returns an audio content block of data (raw bytes, base64-encoded
// here), e.g. Audio(wav, "audio/wav").
func Audio(data []byte, mimeType string) Content {
	return Content{Type: "audio", Data: base64.StdEncoding.EncodeToString(data), MimeType: mimeType}
}

// EmbeddedResource returns a content block carrying resource contents
// (TextContents, BlobContents).
func EmbeddedResource(rc ResourceContents) Content { return Content{Type: "resource", Resource: &rc} }

// ResourceLink returns a resource_link content block pointing at uri.
func ResourceLink(uri, name, mimeType string) Content {
	return Content{Type: "resource_link", URI: uri, Name: name, MimeType: mimeType}
}
