package main

import (
	"encoding/json"

	"github.com/densemcp/densemcp"
	"github.com/densemcp/densemcp/codec"
)

// Schemas of the built-in echo tool.
const (
	echoInputSchema  = `{"type":"object","properties":{"text":{"type":"string","description":"the text to echo back"}},"required":["text"],"additionalProperties":false}`
	echoOutputSchema = `{"type":"object","properties":{"text":{"type":"string","description":"the same text"}},"required":["text"],"additionalProperties":false}`
)

// registerEcho adds the built-in echo tool, so a new user sees the server
// answer with no configuration. It is a raw, inline tool: the arguments are
// validated against echoInputSchema before it runs, and it copies the text
// into a text block and echoes the arguments object as structured output —
// the zero-allocation path (a typed AddTool tool decodes into a Go struct
// and encodes its output with sonic instead).
func registerEcho(s *densemcp.Server) error {
	readOnly := true
	return s.AddRawTool(&densemcp.Tool{
		Name:         "echo",
		Title:        "Echo",
		Description:  "Returns the given text unchanged, as text content and as structured output.",
		InputSchema:  json.RawMessage(echoInputSchema),
		OutputSchema: json.RawMessage(echoOutputSchema),
		Annotations:  &densemcp.ToolAnnotations{ReadOnlyHint: &readOnly},
		Inline:       true,
		// The validated input {"text": string} is exactly the output shape.
		OutputConforms: true,
	}, echo)
}

func echo(req *densemcp.Request, args []byte) error {
	tok, _ := codec.ObjectField(args, "text")
	var b [512]byte // texts up to 512 bytes unescape without allocating
	text, err := codec.Unquote(b[:0], tok)
	if err != nil {
		return err
	}
	req.Result.AddTextBytes(text)
	// args is valid until the answer is rendered, after this returns.
	req.Result.SetStructuredOwned(args)
	return nil
}
