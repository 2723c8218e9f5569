//lint:file-ignore SA1019 legacy sessions' sampling and roots (deprecated in 2026-07-28) are what these tests exercise

package densemcp_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/densemcp/densemcp"
	"github.com/densemcp/densemcp/engine"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// journal records what middleware saw, for tests.
type journal struct {
	mu      sync.Mutex
	entries []string
}

func (j *journal) add(s string) {
	j.mu.Lock()
	j.entries = append(j.entries, s)
	j.mu.Unlock()
}

func (j *journal) has(prefix string) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, e := range j.entries {
		if strings.HasPrefix(e, prefix) {
			return true
		}
	}
	return false
}

func (j *journal) reset() {
	j.mu.Lock()
	j.entries = nil
	j.mu.Unlock()
}

// Middleware sees every request a real client sends, in both eras over
// Streamable HTTP, with its outcome; it refuses a tool by name with a
// JSON-RPC error or with a tool error; the chain runs in the order added,
// and sending middleware sees the notifications and server→client
// requests a tool sends.
func TestMiddlewareWithSDKClient(t *testing.T) {
	j := &journal{}
	var order []string
	var orderMu sync.Mutex
	mark := func(name string) densemcp.Middleware {
		return func(next densemcp.MethodHandler) densemcp.MethodHandler {
			return func(ctx context.Context, c *densemcp.Call) (json.RawMessage, error) {
				if c.Method() == "tools/list" {
					orderMu.Lock()
					order = append(order, name)
					orderMu.Unlock()
				}
				return next(ctx, c)
			}
		}
	}
	type traceKey struct{}
	s := newTestServer(t, &densemcp.Options{ReceivingMiddleware: []densemcp.Middleware{mark("first")}}, func(s *densemcp.Server) {
		if err := s.AddRawTool(&densemcp.Tool{Name: "forbidden"}, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
			t.Error("a refused tool ran")
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.AddRawTool(&densemcp.Tool{Name: "traced"}, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
			v, _ := req.Context().Value(traceKey{}).(string)
			req.Progress(1, 1, "")
			req.Result.AddText("trace=" + v)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
	s.AddReceivingMiddleware(func(next densemcp.MethodHandler) densemcp.MethodHandler {
		return func(ctx context.Context, c *densemcp.Call) (json.RawMessage, error) {
			switch c.ToolName() {
			case "forbidden":
				j.add("refused " + c.Method())
				return nil, &densemcp.RPCError{Code: densemcp.CodeForbidden, Message: "forbidden by policy"}
			case "echo":
				in, err := densemcp.DecodeArguments[echoIn](c)
				if err == nil && in.Text == "rate me" {
					return c.ToolError("rate limited"), nil
				}
			case "traced":
				ctx = context.WithValue(ctx, traceKey{}, "t-1")
			}
			res, err := next(ctx, c)
			kind := "request"
			if c.IsNotification() {
				kind = "notification"
			}
			j.add(kind + " " + c.Method() + " " + c.ToolName() + " err=" + errString(err))
			return res, err
		}
	}, mark("second"))
	s.AddSendingMiddleware(func(next densemcp.MethodHandler) densemcp.MethodHandler {
		return func(ctx context.Context, c *densemcp.Call) (json.RawMessage, error) {
			j.add("send " + c.Method())
			return next(ctx, c)
		}
	})
	url := serveHTTP(t, s)
	for _, pv := range []string{"2025-11-25", ""} {
		name := pv
		if name == "" {
			name = "modern"
		}
		t.Run(name, func(t *testing.T) {
			j.reset()
			orderMu.Lock()
			order = nil
			orderMu.Unlock()
			ev := &clientEvents{}
			cs := sdkOverHTTP(t, url, pv, &mcp.ClientOptions{
				ProgressNotificationHandler: func(ctx context.Context, r *mcp.ProgressNotificationClientRequest) {
					ev.mu.Lock()
					ev.progress = append(ev.progress, r.Params.Progress)
					ev.mu.Unlock()
				},
			}, ev)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, err := cs.ListTools(ctx, nil); err != nil {
				t.Fatal(err)
			}
			orderMu.Lock()
			if strings.Join(order, ",") != "first,second" {
				t.Errorf("middleware ran in order %v, want first,second", order)
			}
			orderMu.Unlock()
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "hi"}})
			if err != nil || res.IsError || res.Content[0].(*mcp.TextContent).Text != "hi" {
				t.Fatalf("echo through middleware: %+v %v", res, err)
			}
			_, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "forbidden"})
			var we *jsonrpc.Error
			if !errors.As(err, &we) || we.Code != densemcp.CodeForbidden || we.Message != "forbidden by policy" {
				t.Fatalf("refused tool: err %v, want -32003 forbidden by policy", err)
			}
			res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "rate me"}})
			if err != nil || !res.IsError || res.Content[0].(*mcp.TextContent).Text != "rate limited" {
				t.Fatalf("tool error from middleware: %+v %v", res, err)
			}
			res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "traced", Meta: mcp.Meta{"progressToken": "tr"}})
			if err != nil || res.Content[0].(*mcp.TextContent).Text != "trace=t-1" {
				t.Fatalf("context from middleware: %+v %v", res, err)
			}
			waitFor(t, "progress through sending middleware", func() bool { return len(ev.snapshot().progress) == 1 })
			want := []string{
				"request tools/list  err=",
				"request tools/call echo err=",
				"refused tools/call",
				"request tools/call traced err=",
				"send notifications/progress",
			}
			if pv != "" {
				want = append(want, "request initialize  err=", "notification notifications/initialized  err=")
			} else {
				want = append(want, "request server/discover  err=")
			}
			for _, w := range want {
				if !j.has(w) {
					t.Errorf("middleware did not see %q; saw %q", w, j.entries)
				}
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Sending middleware wraps a legacy server→client request and sees the
// client's answer; refusing it fails the handler's call.
func TestSendingMiddlewareWrapsClientRequests(t *testing.T) {
	j := &journal{}
	s := featureServer(t)
	refuse := false
	var mu sync.Mutex
	s.AddSendingMiddleware(func(next densemcp.MethodHandler) densemcp.MethodHandler {
		return func(ctx context.Context, c *densemcp.Call) (json.RawMessage, error) {
			mu.Lock()
			r := refuse
			mu.Unlock()
			if r && c.Method() == "roots/list" {
				return nil, errors.New("roots are private here")
			}
			res, err := next(ctx, c)
			j.add("send " + c.Method() + " -> " + string(res))
			return res, err
		}
	})
	cs, _ := featureClient(t, s, serveTCP(t, s), "2025-11-25")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "ask"})
	if err != nil || res.IsError {
		t.Fatalf("ask: %+v %v", res, err)
	}
	for _, w := range []string{`send elicitation/create -> {"action":"accept"`, `send sampling/createMessage -> {`, `send roots/list -> {"roots":[`} {
		if !j.has(w) {
			t.Errorf("sending middleware did not see %q: %q", w, j.entries)
		}
	}
	mu.Lock()
	refuse = true
	mu.Unlock()
	res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "ask"})
	if err != nil || !res.IsError || !strings.Contains(res.Content[0].(*mcp.TextContent).Text, "roots are private here") {
		t.Fatalf("ask with roots refused: %+v %v", res, err)
	}
}

// Middleware sees task calls: a tools/call that starts a task reaches it
// before the task exists (a refusal starts none), and tasks/get passes
// through it with its result. (One loop: a task asked about on a loop that
// does not own it is answered from its owner after the chain returned, and
// next returns no result there.)
func TestMiddlewareWithTasks(t *testing.T) {
	j := &journal{}
	s, tt := taskServer(t, &densemcp.Options{Engine: engine.Config{Loops: 1}})
	s.AddReceivingMiddleware(func(next densemcp.MethodHandler) densemcp.MethodHandler {
		return func(ctx context.Context, c *densemcp.Call) (json.RawMessage, error) {
			if c.ToolName() == "must" {
				j.add("refused must")
				return nil, &densemcp.RPCError{Code: densemcp.CodeForbidden, Message: "no tasks of must"}
			}
			res, err := next(ctx, c)
			var st struct {
				ResultType string `json:"resultType"`
				Status     string `json:"status"`
			}
			_ = json.Unmarshal(res, &st)
			j.add(c.Method() + " " + c.ToolName() + " -> " + st.ResultType + "/" + st.Status + " err=" + errString(err))
			return res, err
		}
	})
	c := newModernClient(t, serveHTTP(t, s), tasksCaps)
	st := c.start("work")
	if !j.has("tools/call work -> task/working err=") {
		t.Fatalf("middleware did not see the task start: %q", j.entries)
	}
	tt.release()
	c.waitStatus(st.TaskID, "completed")
	if !j.has("tasks/get  -> complete/completed err=") {
		t.Fatalf("middleware did not see tasks/get: %q", j.entries)
	}
	_, a := c.call("tools/call", "must", `"name":"must","arguments":{},"task":{}`)
	if a.Error == nil || a.Error.Message != "no tasks of must" {
		t.Fatalf("refused task call: %s %+v", a.Result, a.Error)
	}
}
