//lint:file-ignore SA1019 legacy sessions' sampling, logging and roots (deprecated in 2026-07-28) are what these tests exercise

package densemcp_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/densemcp/densemcp"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// featureServer registers one of each feature, built with the public API.
func featureServer(t *testing.T) *densemcp.Server {
	t.Helper()
	return newTestServer(t, nil, func(s *densemcp.Server) {
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(s.AddResource(&densemcp.Resource{URI: "test://text", Name: "text", MimeType: "text/plain", Inline: true},
			func(_ context.Context, req *densemcp.Request, uri string, _ map[string]string) ([]densemcp.ResourceContents, error) {
				return []densemcp.ResourceContents{densemcp.TextContents(uri, "text/plain", "static text")}, nil
			}))
		must(s.AddResource(&densemcp.Resource{URI: "test://blob", Name: "blob", MimeType: "application/octet-stream"},
			func(_ context.Context, req *densemcp.Request, uri string, _ map[string]string) ([]densemcp.ResourceContents, error) {
				return []densemcp.ResourceContents{densemcp.BlobContents(uri, "application/octet-stream", []byte{0, 1, 2, 255})}, nil
			}))
		must(s.AddResourceTemplate(&densemcp.ResourceTemplate{URITemplate: "test://items/{id}", Name: "item", Inline: true,
			Complete: func(_ context.Context, req *densemcp.Request, arg, prefix string, _ map[string]string) ([]string, error) {
				var out []string
				for i := 0; i < 150; i++ {
					v := fmt.Sprintf("%s%03d", prefix, i)
					out = append(out, v)
				}
				return out, nil
			}},
			func(_ context.Context, req *densemcp.Request, uri string, vars map[string]string) ([]densemcp.ResourceContents, error) {
				if vars["id"] == "missing" {
					return nil, densemcp.ErrResourceNotFound
				}
				return []densemcp.ResourceContents{densemcp.TextContents(uri, "application/json", `{"id":"`+vars["id"]+`"}`)}, nil
			}))
		must(s.AddPrompt(&densemcp.Prompt{Name: "greet", Description: "greets", Inline: true,
			Arguments: []densemcp.PromptArgument{{Name: "who", Required: true}, {Name: "mood"}},
			Complete: func(_ context.Context, req *densemcp.Request, arg, prefix string, ctx map[string]string) ([]string, error) {
				if arg == "who" {
					return []string{prefix + "lice", prefix + "nna"}, nil
				}
				return nil, nil
			}},
			func(_ context.Context, req *densemcp.Request, args map[string]string) (*densemcp.GetPromptResult, error) {
				return &densemcp.GetPromptResult{Messages: []densemcp.PromptMessage{
					{Role: "user", Content: densemcp.Content{Type: "text", Text: "hello " + args["who"]}},
					{Role: "user", Content: densemcp.Content{Type: "image", Data: "iVBORw0KGgo=", MimeType: "image/png"}},
				}}, nil
			}))
		must(s.AddRawTool(&densemcp.Tool{Name: "progress_and_log"}, func(_ context.Context, req *densemcp.Request, args json.RawMessage) error {
			for i := 0; i <= 2; i++ {
				req.Progress(float64(i*50), 100, "step")
				req.Log(densemcp.LevelInfo, "test", map[string]any{"step": i})
			}
			req.Log(densemcp.LevelDebug, "test", "debug detail")
			req.Result.AddText("done")
			return nil
		}))
		must(s.AddRawTool(&densemcp.Tool{Name: "ask"}, func(_ context.Context, req *densemcp.Request, args json.RawMessage) error {
			el, err1 := req.Elicit(&densemcp.ElicitParams{Message: "name?", RequestedSchema: map[string]any{
				"type": "object", "properties": map[string]any{"name": map[string]any{"type": "string"}}}})
			sm, err2 := req.Sample(&densemcp.CreateMessageParams{MaxTokens: 10, Messages: []densemcp.SamplingMessage{
				{Role: "user", Content: densemcp.Content{Type: "text", Text: "hi"}}}})
			roots, err3 := req.ListRoots()
			if err := errors.Join(err1, err2, err3); err != nil {
				return err
			}
			var content struct {
				Text string `json:"text"`
			}
			json.Unmarshal(sm.Content, &content)
			req.Result.AddText(fmt.Sprintf("%s|%v|%s|%s", el.Action, el.Content["name"], content.Text, roots.Roots[0].URI))
			return nil
		}))
		must(s.AddRawTool(&densemcp.Tool{Name: "slow"}, func(_ context.Context, req *densemcp.Request, args json.RawMessage) error {
			select {
			case <-req.Context().Done():
				return req.Context().Err()
			case <-time.After(10 * time.Second):
			}
			req.Result.AddText("slow done")
			return nil
		}))
	})
}

type clientEvents struct {
	mu        sync.Mutex
	progress  []float64
	logs      []string
	listTools int
	updated   []string
}

func (e *clientEvents) snapshot() clientEvents {
	e.mu.Lock()
	defer e.mu.Unlock()
	return clientEvents{progress: append([]float64(nil), e.progress...), logs: append([]string(nil), e.logs...), listTools: e.listTools, updated: append([]string(nil), e.updated...)}
}

// featureClient connects the SDK client to addr over TCP, or, when addr is
// "stdio", to s.ServeStdio through in-process pipes.
func featureClient(t *testing.T, s *densemcp.Server, addr, pv string) (*mcp.ClientSession, *clientEvents) {
	t.Helper()
	ev := &clientEvents{}
	client := mcp.NewClient(&mcp.Implementation{Name: "features", Version: "1"}, &mcp.ClientOptions{
		ElicitationHandler: func(ctx context.Context, r *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
			return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"name": "ada"}}, nil
		},
		CreateMessageHandler: func(ctx context.Context, r *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
			return &mcp.CreateMessageResult{Role: "assistant", Model: "m", Content: &mcp.TextContent{Text: "sampled"}}, nil
		},
		ProgressNotificationHandler: func(ctx context.Context, r *mcp.ProgressNotificationClientRequest) {
			ev.mu.Lock()
			ev.progress = append(ev.progress, r.Params.Progress)
			ev.mu.Unlock()
		},
		LoggingMessageHandler: func(ctx context.Context, r *mcp.LoggingMessageRequest) {
			ev.mu.Lock()
			ev.logs = append(ev.logs, string(r.Params.Level))
			ev.mu.Unlock()
		},
		ToolListChangedHandler: func(ctx context.Context, r *mcp.ToolListChangedRequest) {
			ev.mu.Lock()
			ev.listTools++
			ev.mu.Unlock()
		},
		ResourceUpdatedHandler: func(ctx context.Context, r *mcp.ResourceUpdatedNotificationRequest) {
			ev.mu.Lock()
			ev.updated = append(ev.updated, r.Params.URI)
			ev.mu.Unlock()
		},
	})
	client.AddRoots(&mcp.Root{URI: "file:///work", Name: "work"})
	var tr mcp.Transport
	if addr == "stdio" {
		inR, inW := io.Pipe()
		outR, outW := io.Pipe()
		sctx, stop := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.ServeStdio(sctx, inR, outW); outW.Close() }()
		t.Cleanup(func() {
			stop()
			inW.Close()
			if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("ServeStdio: %v", err)
			}
		})
		tr = &mcp.IOTransport{Reader: outR, Writer: inW}
	} else {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		tr = &mcp.IOTransport{Reader: c, Writer: c}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cs, err := client.Connect(ctx, tr, &mcp.ClientSessionOptions{ProtocolVersion: pv})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs, ev
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestFeaturesWithSDKClient(t *testing.T) {
	s := featureServer(t)
	tcp := serveTCP(t, s)
	for _, tc := range []struct{ name, addr, pv string }{
		{"tcp/legacy", tcp, "2025-11-25"}, {"tcp/modern", tcp, ""},
		{"stdio/legacy", "stdio", "2025-11-25"}, {"stdio/modern", "stdio", ""},
	} {
		pv := tc.pv
		t.Run(tc.name, func(t *testing.T) {
			cs, ev := featureClient(t, s, tc.addr, pv)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()

			// Resources: list, read text and blob, templates, not found.
			rl, err := cs.ListResources(ctx, nil)
			if err != nil || len(rl.Resources) != 2 || rl.Resources[0].URI != "test://blob" {
				t.Fatalf("resources/list: %+v %v", rl, err)
			}
			rr, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "test://text"})
			if err != nil || len(rr.Contents) != 1 || rr.Contents[0].Text != "static text" {
				t.Fatalf("read text: %+v %v", rr, err)
			}
			rr, err = cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "test://blob"})
			if err != nil || string(rr.Contents[0].Blob) != "\x00\x01\x02\xff" {
				t.Fatalf("read blob: %+v %v", rr, err)
			}
			tl, err := cs.ListResourceTemplates(ctx, nil)
			if err != nil || len(tl.ResourceTemplates) != 1 || tl.ResourceTemplates[0].URITemplate != "test://items/{id}" {
				t.Fatalf("templates/list: %+v %v", tl, err)
			}
			rr, err = cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "test://items/42"})
			if err != nil || rr.Contents[0].Text != `{"id":"42"}` {
				t.Fatalf("read template: %+v %v", rr, err)
			}
			_, err = cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "test://nope"})
			wantCode := int64(-32002)
			if pv == "" {
				wantCode = -32602
			}
			var rpcErr *jsonrpc.Error
			if !errors.As(err, &rpcErr) || rpcErr.Code != wantCode {
				t.Fatalf("read unknown: want %d, got %v", wantCode, err)
			}

			// Prompts: list, get with args, missing required argument.
			pl, err := cs.ListPrompts(ctx, nil)
			if err != nil || len(pl.Prompts) != 1 || len(pl.Prompts[0].Arguments) != 2 {
				t.Fatalf("prompts/list: %+v %v", pl, err)
			}
			gp, err := cs.GetPrompt(ctx, &mcp.GetPromptParams{Name: "greet", Arguments: map[string]string{"who": "bob"}})
			if err != nil || len(gp.Messages) != 2 || gp.Messages[0].Content.(*mcp.TextContent).Text != "hello bob" {
				t.Fatalf("prompts/get: %+v %v", gp, err)
			}
			if _, ok := gp.Messages[1].Content.(*mcp.ImageContent); !ok {
				t.Fatalf("image message: %#v", gp.Messages[1].Content)
			}
			if _, err := cs.GetPrompt(ctx, &mcp.GetPromptParams{Name: "greet"}); err == nil || !strings.Contains(err.Error(), "who") {
				t.Fatalf("missing required argument: %v", err)
			}

			// Completion: prompt argument and template variable, capped at 100.
			cr, err := cs.Complete(ctx, &mcp.CompleteParams{Ref: &mcp.CompleteReference{Type: "ref/prompt", Name: "greet"},
				Argument: mcp.CompleteParamsArgument{Name: "who", Value: "a"}})
			if err != nil || strings.Join(cr.Completion.Values, ",") != "alice,anna" {
				t.Fatalf("complete prompt: %+v %v", cr, err)
			}
			cr, err = cs.Complete(ctx, &mcp.CompleteParams{Ref: &mcp.CompleteReference{Type: "ref/resource", URI: "test://items/{id}"},
				Argument: mcp.CompleteParamsArgument{Name: "id", Value: "x"}})
			if err != nil || len(cr.Completion.Values) != 100 || cr.Completion.Total != 150 || !cr.Completion.HasMore {
				t.Fatalf("complete template: %d values total %d hasMore %v err %v", len(cr.Completion.Values), cr.Completion.Total, cr.Completion.HasMore, err)
			}

			// Elicitation, sampling and roots, answered by the client: a
			// server→client request (legacy) or input_required (modern).
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "ask"})
			if err != nil || res.IsError || res.Content[0].(*mcp.TextContent).Text != "accept|ada|sampled|file:///work" {
				t.Fatalf("ask: %+v %v", res, err)
			}

			// Progress and logging.
			if pv != "" {
				if err := cs.SetLoggingLevel(ctx, &mcp.SetLoggingLevelParams{Level: "info"}); err != nil {
					t.Fatalf("setLevel: %v", err)
				}
			}
			res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "progress_and_log", Meta: mcp.Meta{"progressToken": "p1"}})
			if err != nil || res.IsError {
				t.Fatalf("progress_and_log: %+v %v", res, err)
			}
			if pv != "" {
				waitFor(t, "3 progress notifications", func() bool { return len(ev.snapshot().progress) == 3 })
				got := ev.snapshot()
				if got.progress[0] != 0 || got.progress[1] != 50 || got.progress[2] != 100 {
					t.Fatalf("progress: %v", got.progress)
				}
				waitFor(t, "3 info logs", func() bool { return len(ev.snapshot().logs) >= 3 })
				time.Sleep(50 * time.Millisecond)
				if logs := ev.snapshot().logs; len(logs) != 3 {
					t.Fatalf("logs at info (debug filtered out): %v", logs)
				}
			}

			// Cancellation mid-call: the context is cancelled, no answer arrives.
			cctx, ccancel := context.WithCancel(ctx)
			go func() { time.Sleep(100 * time.Millisecond); ccancel() }()
			if _, err := cs.CallTool(cctx, &mcp.CallToolParams{Name: "slow"}); err == nil {
				t.Fatal("cancelled call returned no error")
			}
			if err := cs.Ping(ctx, nil); pv != "" && err != nil {
				t.Fatalf("ping after cancel: %v", err)
			}
		})
	}
}

// Subscriptions and list_changed, in both eras (legacy: resources/subscribe
// and session notifications; modern: a subscriptions/listen stream).
func TestSubscriptionsAndListChanged(t *testing.T) {
	s := featureServer(t)
	tcp := serveTCP(t, s)
	for i, tc := range []struct{ addr, pv string }{{tcp, "2025-11-25"}, {tcp, ""}, {"stdio", "2025-11-25"}, {"stdio", ""}} {
		pv := tc.pv
		cs, ev := featureClient(t, s, tc.addr, pv)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := cs.Subscribe(ctx, &mcp.SubscribeParams{URI: "test://text"}); err != nil {
			t.Fatalf("%q subscribe: %v", pv, err)
		}
		// The SDK may register a listen stream's id only after it sees the
		// acknowledgement, so updates are repeated until one is seen.
		s.ResourceUpdated("test://blob") // not subscribed: never delivered
		last := time.Now()
		s.ResourceUpdated("test://text")
		waitFor(t, fmt.Sprintf("resource update (%s %q)", tc.addr, pv), func() bool {
			if time.Since(last) > 200*time.Millisecond {
				last = time.Now()
				s.ResourceUpdated("test://text")
			}
			return len(ev.snapshot().updated) >= 1
		})
		name := fmt.Sprintf("added_%d", i)
		err := densemcp.AddTool(s, &densemcp.Tool{Name: name, Inline: true}, func(_ context.Context, req *densemcp.Request, in echoIn) (any, error) { return nil, nil })
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "tools list_changed", func() bool { return ev.snapshot().listTools >= 1 })
		tools, err := cs.ListTools(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, tl := range tools.Tools {
			found = found || tl.Name == name
		}
		if !found {
			t.Fatalf("%s not listed after list_changed", name)
		}
		if err := cs.Unsubscribe(ctx, &mcp.UnsubscribeParams{URI: "test://text"}); err != nil {
			t.Fatalf("%q unsubscribe: %v", pv, err)
		}
		for _, u := range ev.snapshot().updated {
			if u != "test://text" {
				t.Fatalf("update for a URI not subscribed: %v", u)
			}
		}
		cancel()
	}
}
