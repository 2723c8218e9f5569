package densemcp_test

import (
	"context"
	"time"

	"github.com/densemcp/densemcp"
)

type GreetIn struct {
	Name string `json:"name" jsonschema:"who to greet"`
}

type GreetOut struct {
	Greeting string `json:"greeting"`
}

// The README's example: a typed tool whose schemas are inferred.
func ExampleAddTool() {
	s := densemcp.NewServer(densemcp.Implementation{Name: "greeter", Version: "1.0.0"}, nil)
	err := densemcp.AddTool(s, &densemcp.Tool{Name: "greet", Description: "Greets someone", Inline: true},
		func(req *densemcp.Request, in GreetIn) (GreetOut, error) {
			return GreetOut{Greeting: "hello, " + in.Name}, nil
		})
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	_ = s.ServeHTTP(ctx, "127.0.0.1:0")
}
