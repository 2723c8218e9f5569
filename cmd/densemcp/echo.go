package main

import "github.com/densemcp/densemcp"

// EchoInput is the echo tool's input.
type EchoInput struct {
	Text string `json:"text" jsonschema:"the text to echo back"`
}

// EchoOutput is the echo tool's structured output.
type EchoOutput struct {
	Text string `json:"text" jsonschema:"the same text"`
}

// registerEcho adds the built-in echo tool, so a new user sees the server
// answer with no configuration.
func registerEcho(s *densemcp.Server) error {
	readOnly := true
	return densemcp.AddTool(s, &densemcp.Tool{
		Name:        "echo",
		Title:       "Echo",
		Description: "Returns the given text unchanged, as text content and as structured output.",
		Annotations: &densemcp.ToolAnnotations{ReadOnlyHint: &readOnly},
		Inline:      true,
	}, func(req *densemcp.Request, in EchoInput) (EchoOutput, error) {
		req.Result.AddText(in.Text)
		return EchoOutput{Text: in.Text}, nil
	})
}
