package densemcp_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/densemcp/densemcp"
)

// Middleware runs around every request: this one audits each call and
// refuses one tool call by its arguments, the way a tool reports failure.
func ExampleServer_AddReceivingMiddleware() {
	s := densemcp.NewServer(densemcp.Implementation{Name: "audited", Version: "1.0.0"}, nil)
	err := densemcp.AddTool(s, &densemcp.Tool{Name: "greet", Inline: true},
		func(_ context.Context, req *densemcp.Request, in GreetIn) (GreetOut, error) {
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
