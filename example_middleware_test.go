package densemcp_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/densemcp/densemcp"
)

// exampleSession runs lines (JSON-RPC messages) through s over stdio, the
// way a client would send them, and prints what each answer says: the
// result's text content, or the error's message.
func exampleSession(s *densemcp.Server, lines ...string) {
	var out bytes.Buffer
	if err := s.ServeStdio(context.Background(), strings.NewReader(strings.Join(lines, "\n")+"\n"), &out); err != nil {
		fmt.Println("serve:", err)
	}
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var m struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
			Result struct {
				Content []struct {
					Text string `json:"text"`
				} `json:"content"`
				IsError bool `json:"isError"`
			} `json:"result"`
			Error *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil || m.ID == nil || string(m.ID) == "0" {
			continue // notifications, and the initialize answer
		}
		switch {
		case m.Error != nil:
			fmt.Printf("%s: error: %s\n", m.ID, m.Error.Message)
		case len(m.Result.Content) > 0:
			fmt.Printf("%s: %s (isError %v)\n", m.ID, m.Result.Content[0].Text, m.Result.IsError)
		default:
			fmt.Printf("%s: %s\n", m.ID, sc.Text())
		}
	}
}

// The legacy handshake an example session starts with.
const (
	exampleInit        = `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"example","version":"1"}}}`
	exampleInitialized = `{"jsonrpc":"2.0","method":"notifications/initialized"}`
)

// Middleware runs around every request: this one audits each call and
// refuses one tool call by its arguments, the way a tool reports failure.
func ExampleServer_AddReceivingMiddleware() {
	s := densemcp.NewServer(densemcp.Implementation{Name: "audited", Version: "1.0.0"}, nil)
	err := densemcp.AddTool(s, &densemcp.Tool{Name: "greet", Inline: true},
		func(req *densemcp.Request, in GreetIn) (GreetOut, error) {
			return GreetOut{Greeting: "hello, " + in.Name}, nil
		})
	if err != nil {
		panic(err)
	}
	s.AddReceivingMiddleware(func(next densemcp.MethodHandler) densemcp.MethodHandler {
		return func(ctx context.Context, c *densemcp.Call) (json.RawMessage, error) {
			if c.ToolName() == "greet" {
				if in, err := densemcp.DecodeArguments[GreetIn](c); err == nil && in.Name == "mallory" {
					fmt.Println("audit: refused greet for mallory")
					return c.ToolError("greeting mallory is not allowed"), nil
				}
			}
			res, err := next(ctx, c)
			fmt.Printf("audit: %s %s err=%v\n", c.Method(), c.ToolName(), err)
			return res, err
		}
	})
	exampleSession(s, exampleInit, exampleInitialized,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet","arguments":{"name":"ada"}}}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"greet","arguments":{"name":"mallory"}}}`,
		`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"nope"}}`)
	// Output:
	// audit: initialize  err=<nil>
	// audit: notifications/initialized  err=<nil>
	// audit: tools/call greet err=<nil>
	// audit: refused greet for mallory
	// audit: tools/call nope err=Unknown tool: nope
	// 1: {"greeting":"hello, ada"} (isError false)
	// 2: greeting mallory is not allowed (isError true)
	// 3: error: Unknown tool: nope
}
