package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/densemcp/densemcp"
)

// The official conformance suite's fixtures (tools, resources and prompts
// with the exact names and texts its scenarios call, in both eras), built
// with the public API as any user would. `densemcp serve --fixtures
// conformance` registers exactly these.

const (
	// A 1×1 PNG and a tiny WAV; the suite checks presence and mime types.
	fixturePNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg=="
	fixtureWAV = "UklGRjQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YRAAAAAAAAAAAAAAAAAAAAAAAAAA"
	// fixtureStep is the pause between logs and progress notifications.
	fixtureStep = 50 * time.Millisecond
)

// emptyObject is the input schema of tools without arguments.
var emptyObject = json.RawMessage(`{"type":"object","properties":{}}`)

func registerConformance(s *densemcp.Server) error {
	var errs []error
	add := func(err error) { errs = append(errs, err) }
	tool := func(name, desc string, inline bool, h densemcp.RawToolHandler) {
		add(s.AddRawTool(&densemcp.Tool{Name: name, Description: desc, InputSchema: emptyObject, Inline: inline}, h))
	}
	text := func(t string) densemcp.RawToolHandler {
		return func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
			req.Result.AddText(t)
			return nil
		}
	}

	tool("test_simple_text", "Returns a simple text response", true, text("This is a simple text response for testing."))
	tool("test_image_content", "Returns an image", true, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
		req.Result.AddImage(fixturePNG, "image/png")
		return nil
	})
	tool("test_audio_content", "Returns audio", true, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
		req.Result.AddAudio(fixtureWAV, "audio/wav")
		return nil
	})
	tool("test_embedded_resource", "Returns an embedded resource", true, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
		return req.Result.AddResource(densemcp.TextContents("test://embedded-resource", "text/plain", "This is an embedded resource content."))
	})
	tool("test_multiple_content_types", "Returns text, an image and a resource", true, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
		req.Result.AddText("Multiple content types test:")
		req.Result.AddImage(fixturePNG, "image/png")
		return req.Result.AddResource(densemcp.TextContents("test://mixed-content-resource", "application/json", `{"test":"data","value":123}`))
	})
	tool("test_error_handling", "Always fails with a tool error", true, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
		//lint:ignore ST1005 the conformance suite expects this exact text
		return errors.New("This tool intentionally returns an error for testing")
	})
	tool("test_tool_with_logging", "Sends three log messages while it runs", false, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
		for i, msg := range []string{"Tool execution started", "Tool processing data", "Tool execution completed"} {
			if i > 0 {
				time.Sleep(fixtureStep)
			}
			req.Log(densemcp.LevelInfo, "conformance", msg)
		}
		req.Result.AddText("Tool with logging executed successfully")
		return nil
	})
	tool("test_tool_with_progress", "Reports progress 0, 50, 100 of 100", false, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
		for i, p := range []float64{0, 50, 100} {
			if i > 0 {
				time.Sleep(fixtureStep)
			}
			req.Progress(p, 100, fmt.Sprintf("Completed step %d of 100", int(p)))
		}
		req.Result.AddText("Progress reported")
		return nil
	})
	add(s.AddRawTool(&densemcp.Tool{Name: "test_sampling", Description: "Asks the client's model to answer a prompt",
		InputSchema: json.RawMessage(`{"type":"object","properties":{"prompt":{"type":"string","description":"The prompt to send"}},"required":["prompt"]}`)},
		func(_ context.Context, req *densemcp.Request, args json.RawMessage) error {
			var in struct {
				Prompt string `json:"prompt"`
			}
			if err := json.Unmarshal(args, &in); err != nil {
				return err
			}
			res, err := req.SampleAs("sampling", &densemcp.CreateMessageParams{MaxTokens: 100, Messages: []densemcp.SamplingMessage{
				{Role: "user", Content: densemcp.Content{Type: "text", Text: in.Prompt}}}})
			if err != nil {
				return err
			}
			var c densemcp.Content
			_ = json.Unmarshal(res.Content, &c)
			req.Result.AddText("LLM response: " + c.Text)
			return nil
		}))
	add(s.AddRawTool(&densemcp.Tool{Name: "test_elicitation", Description: "Asks the user for a username and an email",
		InputSchema: json.RawMessage(`{"type":"object","properties":{"message":{"type":"string","description":"The message to show"}},"required":["message"]}`)},
		func(_ context.Context, req *densemcp.Request, args json.RawMessage) error {
			var in struct {
				Message string `json:"message"`
			}
			if err := json.Unmarshal(args, &in); err != nil {
				return err
			}
			return elicitAndReport(req, "User response", "elicitation", &densemcp.ElicitParams{Message: in.Message, RequestedSchema: map[string]any{
				"type": "object",
				"properties": map[string]any{
					"username": map[string]any{"type": "string", "description": "User's response"},
					"email":    map[string]any{"type": "string", "description": "User's email address"},
				},
				"required": []string{"username", "email"},
			}})
		}))
	tool("test_elicitation_sep1034_defaults", "Elicitation with a default for every primitive type", false, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
		return elicitAndReport(req, "Elicitation completed", "defaults", &densemcp.ElicitParams{
			Message: "Please review and update the form fields with defaults",
			RequestedSchema: json.RawMessage(`{"type":"object","properties":{` +
				`"name":{"type":"string","description":"User name","default":"John Doe"},` +
				`"age":{"type":"integer","description":"User age","default":30},` +
				`"score":{"type":"number","description":"User score","default":95.5},` +
				`"status":{"type":"string","description":"User status","enum":["active","inactive","pending"],"default":"active"},` +
				`"verified":{"type":"boolean","description":"Verification status","default":true}},"required":[]}`),
		})
	})
	tool("test_elicitation_sep1330_enums", "Elicitation with the five enum forms", false, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
		return elicitAndReport(req, "Elicitation completed", "enums", &densemcp.ElicitParams{
			Message: "Please select options from the enum fields",
			RequestedSchema: json.RawMessage(`{"type":"object","properties":{` +
				`"untitledSingle":{"type":"string","description":"Untitled single select","enum":["option1","option2","option3"]},` +
				`"titledSingle":{"type":"string","description":"Titled single select","oneOf":[{"const":"value1","title":"First Option"},{"const":"value2","title":"Second Option"},{"const":"value3","title":"Third Option"}]},` +
				`"legacyEnum":{"type":"string","description":"Legacy titled enum","enum":["opt1","opt2","opt3"],"enumNames":["Option One","Option Two","Option Three"]},` +
				`"untitledMulti":{"type":"array","description":"Untitled multi select","minItems":1,"maxItems":3,"items":{"type":"string","enum":["option1","option2","option3"]}},` +
				`"titledMulti":{"type":"array","description":"Titled multi select","minItems":1,"maxItems":3,"items":{"anyOf":[{"const":"value1","title":"First Choice"},{"const":"value2","title":"Second Choice"},{"const":"value3","title":"Third Choice"}]}}` +
				`},"required":[]}`),
		})
	})
	tool("test_reconnection", "Closes its SSE stream, then answers on the resumed stream (with --replay-events)", false, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
		req.CloseStream()
		time.Sleep(100 * time.Millisecond)
		req.Result.AddText("Reconnection test completed successfully. If you received this, the client properly reconnected after stream closure.")
		return nil
	})
	add(s.AddRawTool(&densemcp.Tool{Name: "json_schema_2020_12_tool", Description: "Tool with JSON Schema 2020-12 features", Inline: true,
		InputSchema: json.RawMessage(`{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object",` +
			`"$defs":{"address":{"$anchor":"addressDef","type":"object","properties":{"street":{"type":"string"},"city":{"type":"string"}}}},` +
			`"properties":{"name":{"type":"string"},"address":{"$ref":"#/$defs/address"},"contactMethod":{"type":"string","enum":["phone","email"]},"phone":{"type":"string"},"email":{"type":"string"}},` +
			`"allOf":[{"anyOf":[{"required":["phone"]},{"required":["email"]}]}],` +
			`"if":{"properties":{"contactMethod":{"const":"phone"}},"required":["contactMethod"]},"then":{"required":["phone"]},"else":{"required":["email"]},` +
			`"additionalProperties":false}`)},
		text("JSON Schema 2020-12 arguments accepted")))

	// SEP-2243: parameters a modern client mirrors into Mcp-Param-* headers,
	// which the server checks against the body.
	add(s.AddRawTool(&densemcp.Tool{Name: "test_custom_headers", Description: "Mirrors region, priority and verbose into Mcp-Param headers", Inline: true,
		InputSchema: json.RawMessage(`{"type":"object","properties":{` +
			`"region":{"type":"string","description":"Region to run in","x-mcp-header":"Region"},` +
			`"priority":{"type":"integer","description":"Priority","x-mcp-header":"Priority"},` +
			`"verbose":{"type":"boolean","description":"Verbose output","x-mcp-header":"Verbose"},` +
			`"query":{"type":"string","description":"Not mirrored"}},"required":["region","priority","query"]}`)},
		func(_ context.Context, req *densemcp.Request, args json.RawMessage) error {
			var in struct {
				Region   string `json:"region"`
				Priority int64  `json:"priority"`
			}
			if err := json.Unmarshal(args, &in); err != nil {
				return err
			}
			req.Result.AddText(fmt.Sprintf("region=%s priority=%d", in.Region, in.Priority))
			return nil
		}))

	registerModernFixtures(s, tool, add)
	registerTaskFixtures(s, add)
	add(registerConformanceSkills(s))
	registerFixtureResources(s, add)
	registerFixturePrompts(s, add)
	return errors.Join(errs...)
}

// elicitAndReport elicits and reports the answer as text.
func elicitAndReport(req *densemcp.Request, prefix, key string, p *densemcp.ElicitParams) error {
	res, err := req.ElicitAs(key, p)
	if err != nil {
		return err
	}
	content, _ := json.Marshal(res.Content)
	req.Result.AddText(fmt.Sprintf("%s: action=%s, content=%s", prefix, res.Action, content))
	return nil
}

func registerModernFixtures(s *densemcp.Server, tool func(string, string, bool, densemcp.RawToolHandler), add func(error)) {
	add(s.AddRawTool(&densemcp.Tool{Name: "test_missing_capability", Description: "Needs the client's sampling capability",
		InputSchema: emptyObject, Inline: true, Requires: []string{"sampling"}},
		func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
			req.Result.AddText("sampling capability present")
			return nil
		}))
	tool("test_streaming_elicitation", "Asks for input through an input_required result", false, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
		return elicitAndReport(req, "Streaming elicitation", "user_input", &densemcp.ElicitParams{Message: "Please provide input",
			RequestedSchema: map[string]any{"type": "object", "properties": map[string]any{"input": map[string]any{"type": "string"}}}})
	})
	tool("test_logging_tool", "Logs only when the request asked for a log level", true, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
		req.Log(densemcp.LevelInfo, "conformance", "logging tool ran")
		req.Result.AddText("Logging tool executed")
		return nil
	})
	var mu sync.Mutex
	dynTool, dynPrompt := false, false
	tool("test_trigger_tool_change", "Adds or removes test_dynamic_tool", false, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
		mu.Lock()
		defer mu.Unlock()
		if dynTool {
			s.RemoveTools("test_dynamic_tool")
		} else if err := s.AddRawTool(&densemcp.Tool{Name: "test_dynamic_tool", Description: "Added at run time", InputSchema: emptyObject, Inline: true},
			func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
				req.Result.AddText("dynamic")
				return nil
			}); err != nil {
			return err
		}
		dynTool = !dynTool
		req.Result.AddText("Mutation triggered")
		return nil
	})
	tool("test_trigger_prompt_change", "Adds or removes test_dynamic_prompt", false, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
		mu.Lock()
		defer mu.Unlock()
		if dynPrompt {
			s.RemovePrompts("test_dynamic_prompt")
		} else if err := s.AddPrompt(&densemcp.Prompt{Name: "test_dynamic_prompt", Description: "Added at run time", Inline: true},
			func(_ context.Context, req *densemcp.Request, _ map[string]string) (*densemcp.GetPromptResult, error) {
				return &densemcp.GetPromptResult{Messages: []densemcp.PromptMessage{{Role: "user", Content: densemcp.Content{Type: "text", Text: "dynamic"}}}}, nil
			}); err != nil {
			return err
		}
		dynPrompt = !dynPrompt
		req.Result.AddText("Mutation triggered")
		return nil
	})

	nameSchema := map[string]any{"type": "object", "properties": map[string]any{"name": map[string]any{"type": "string"}}, "required": []string{"name"}}
	okSchema := map[string]any{"type": "object", "properties": map[string]any{"ok": map[string]any{"type": "boolean"}}, "required": []string{"ok"}}
	capital := &densemcp.CreateMessageParams{MaxTokens: 100, Messages: []densemcp.SamplingMessage{
		{Role: "user", Content: densemcp.Content{Type: "text", Text: "What is the capital of France?"}}}}

	tool("test_input_required_result_elicitation", "Asks the user's name (multi round-trip)", true, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
		res, err := req.ElicitAs("user_name", &densemcp.ElicitParams{Message: "What is your name?", RequestedSchema: nameSchema})
		if err != nil {
			return err
		}
		req.Result.AddText(fmt.Sprintf("Hello, %v!", res.Content["name"]))
		return nil
	})
	tool("test_input_required_result_sampling", "Asks the client's model (multi round-trip)", true, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
		res, err := req.SampleAs("sample_request", capital)
		if err != nil {
			return err
		}
		req.Result.AddText("Sampling result: " + sampledText(res))
		return nil
	})
	tool("test_input_required_result_list_roots", "Asks the client's roots (multi round-trip)", true, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
		res, err := req.ListRootsAs("roots_request")
		if err != nil {
			return err
		}
		var uris []string
		for _, r := range res.Roots {
			uris = append(uris, r.URI)
		}
		req.Result.AddText("Roots: " + strings.Join(uris, ", "))
		return nil
	})
	confirm := func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
		if _, err := req.ElicitAs("confirm", &densemcp.ElicitParams{Message: "Please confirm", RequestedSchema: okSchema}); err != nil {
			return err
		}
		req.Result.AddText("state-ok: requestState validated")
		return nil
	}
	tool("test_input_required_result_request_state", "Confirms through a signed requestState", true, confirm)
	tool("test_input_required_result_tampered_state", "Rejects an altered requestState", true, confirm)
	tool("test_input_required_result_multiple_inputs", "Asks for elicitation, sampling and roots at once", true, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
		el, err1 := req.ElicitAs("user_name", &densemcp.ElicitParams{Message: "What is your name?", RequestedSchema: nameSchema})
		sm, err2 := req.SampleAs("greeting", &densemcp.CreateMessageParams{MaxTokens: 50, Messages: []densemcp.SamplingMessage{
			{Role: "user", Content: densemcp.Content{Type: "text", Text: "Generate a greeting"}}}})
		rt, err3 := req.ListRootsAs("client_roots")
		if err := errors.Join(err1, err2, err3); err != nil {
			return err
		}
		req.Result.AddText(fmt.Sprintf("%v / %s / %d roots", el.Content["name"], sampledText(sm), len(rt.Roots)))
		return nil
	})
	tool("test_input_required_result_multi_round", "Asks two questions in two rounds", true, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
		a, err := req.ElicitAs("step1", &densemcp.ElicitParams{Message: "Step 1: What is your name?", RequestedSchema: nameSchema})
		if err != nil {
			return err
		}
		b, err := req.ElicitAs("step2", &densemcp.ElicitParams{Message: "Step 2: What is your favorite color?", RequestedSchema: map[string]any{
			"type": "object", "properties": map[string]any{"color": map[string]any{"type": "string"}}, "required": []string{"color"}}})
		if err != nil {
			return err
		}
		req.Result.AddText(fmt.Sprintf("%v likes %v", a.Content["name"], b.Content["color"]))
		return nil
	})
	tool("test_input_required_result_capabilities", "Asks only for what the client declared", true, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
		if req.ClientCapability("elicitation") {
			res, err := req.ElicitAs("user_input", &densemcp.ElicitParams{Message: "Input request", RequestedSchema: nameSchema})
			if err != nil {
				return err
			}
			req.Result.AddText(fmt.Sprintf("elicited %v", res.Content["name"]))
			return nil
		}
		res, err := req.SampleAs("sample_input", &densemcp.CreateMessageParams{MaxTokens: 50, Messages: []densemcp.SamplingMessage{
			{Role: "user", Content: densemcp.Content{Type: "text", Text: "Sample request"}}}})
		if err != nil {
			return err
		}
		req.Result.AddText("sampled " + sampledText(res))
		return nil
	})
}

func sampledText(res *densemcp.CreateMessageResult) string {
	var c densemcp.Content
	_ = json.Unmarshal(res.Content, &c)
	return c.Text
}

func registerFixtureResources(s *densemcp.Server, add func(error)) {
	static := func(uri, name, mime string, contents densemcp.ResourceContents) {
		add(s.AddResource(&densemcp.Resource{URI: uri, Name: name, Description: name, MimeType: mime, Inline: true},
			func(context.Context, *densemcp.Request, string, map[string]string) ([]densemcp.ResourceContents, error) {
				return []densemcp.ResourceContents{contents}, nil
			}))
	}
	static("test://static-text", "Static text resource", "text/plain",
		densemcp.TextContents("test://static-text", "text/plain", "This is the content of the static text resource."))
	png, _ := decodeStd(fixturePNG)
	static("test://static-binary", "Static binary resource", "image/png", densemcp.BlobContents("test://static-binary", "image/png", png))
	static("test://watched-resource", "Watched resource", "text/plain",
		densemcp.TextContents("test://watched-resource", "text/plain", "Watched resource content"))
	add(s.AddResourceTemplate(&densemcp.ResourceTemplate{URITemplate: "test://template/{id}/data", Name: "Template resource",
		Description: "Data for an id", MimeType: "application/json", Inline: true},
		func(_ context.Context, _ *densemcp.Request, uri string, vars map[string]string) ([]densemcp.ResourceContents, error) {
			id, _ := json.Marshal(vars["id"])
			data, _ := json.Marshal("Data for ID: " + vars["id"])
			return []densemcp.ResourceContents{densemcp.TextContents(uri, "application/json",
				`{"id":`+string(id)+`,"templateTest":true,"data":`+string(data)+`}`)}, nil
		}))
}

func registerFixturePrompts(s *densemcp.Server, add func(error)) {
	msg := func(role string, c densemcp.Content) densemcp.PromptMessage {
		return densemcp.PromptMessage{Role: role, Content: c}
	}
	textMsg := func(t string) densemcp.PromptMessage { return msg("user", densemcp.Content{Type: "text", Text: t}) }
	add(s.AddPrompt(&densemcp.Prompt{Name: "test_simple_prompt", Description: "A simple prompt without arguments", Inline: true},
		func(context.Context, *densemcp.Request, map[string]string) (*densemcp.GetPromptResult, error) {
			return &densemcp.GetPromptResult{Messages: []densemcp.PromptMessage{textMsg("This is a simple prompt for testing.")}}, nil
		}))
	add(s.AddPrompt(&densemcp.Prompt{Name: "test_prompt_with_arguments", Description: "A prompt with two required arguments", Inline: true,
		Arguments: []densemcp.PromptArgument{{Name: "arg1", Description: "First argument", Required: true}, {Name: "arg2", Description: "Second argument", Required: true}},
		Complete: func(_ context.Context, _ *densemcp.Request, arg, prefix string, _ map[string]string) ([]string, error) {
			var out []string
			for _, v := range []string{"paris", "park", "parse", "test", "testValue1", "testValue2"} {
				if arg == "arg1" && strings.HasPrefix(v, prefix) {
					out = append(out, v)
				}
			}
			return out, nil
		}},
		func(_ context.Context, _ *densemcp.Request, args map[string]string) (*densemcp.GetPromptResult, error) {
			return &densemcp.GetPromptResult{Messages: []densemcp.PromptMessage{
				textMsg(fmt.Sprintf("Prompt with arguments: arg1='%s', arg2='%s'", args["arg1"], args["arg2"]))}}, nil
		}))
	add(s.AddPrompt(&densemcp.Prompt{Name: "test_prompt_with_embedded_resource", Description: "A prompt embedding a resource", Inline: true,
		Arguments: []densemcp.PromptArgument{{Name: "resourceUri", Description: "URI of the resource to embed", Required: true}}},
		func(_ context.Context, _ *densemcp.Request, args map[string]string) (*densemcp.GetPromptResult, error) {
			rc := densemcp.TextContents(args["resourceUri"], "text/plain", "Embedded resource content for testing.")
			return &densemcp.GetPromptResult{Messages: []densemcp.PromptMessage{
				msg("user", densemcp.Content{Type: "resource", Resource: &rc}),
				textMsg("Please process the embedded resource above.")}}, nil
		}))
	add(s.AddPrompt(&densemcp.Prompt{Name: "test_prompt_with_image", Description: "A prompt with an image", Inline: true},
		func(context.Context, *densemcp.Request, map[string]string) (*densemcp.GetPromptResult, error) {
			return &densemcp.GetPromptResult{Messages: []densemcp.PromptMessage{
				msg("user", densemcp.Content{Type: "image", Data: fixturePNG, MimeType: "image/png"}),
				textMsg("Please analyze the image above.")}}, nil
		}))
	add(s.AddPrompt(&densemcp.Prompt{Name: "test_input_required_result_prompt", Description: "A prompt that asks for context first", Inline: true},
		func(_ context.Context, req *densemcp.Request, _ map[string]string) (*densemcp.GetPromptResult, error) {
			res, err := req.ElicitAs("user_context", &densemcp.ElicitParams{Message: "What context should the prompt use?",
				RequestedSchema: map[string]any{"type": "object", "properties": map[string]any{"context": map[string]any{"type": "string"}}, "required": []string{"context"}}})
			if err != nil {
				return nil, err
			}
			return &densemcp.GetPromptResult{Messages: []densemcp.PromptMessage{textMsg(fmt.Sprintf("Prompt with context: %v", res.Content["context"]))}}, nil
		}))
}

func decodeStd(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }
