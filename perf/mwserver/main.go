// Command mwserver serves the echo tool with N no-op middlewares on the
// receiving and sending chains, for perf/middleware.sh: the server CPU per
// call with one middleware against none, on loopback only.
//
//	go run ./perf/mwserver --tcp 127.0.0.1:27010 --http 127.0.0.1:27011 --middleware 1
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/densemcp/densemcp"
	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/engine"
)

func main() {
	tcp := flag.String("tcp", "127.0.0.1:27010", "loopback address for TCP NDJSON (empty: none)")
	http := flag.String("http", "127.0.0.1:27011", "loopback address for Streamable HTTP (empty: none)")
	n := flag.Int("middleware", 1, "no-op middlewares on each chain")
	loops := flag.Int("loops", 1, "event loops")
	flag.Parse()
	var mw []densemcp.Middleware
	for range *n {
		mw = append(mw, noop)
	}
	s := densemcp.NewServer(densemcp.Implementation{Name: "mwserver", Version: "1"}, &densemcp.Options{
		Engine:              engine.Config{Loops: *loops},
		ReceivingMiddleware: mw,
		SendingMiddleware:   mw,
	})
	if err := s.AddRawTool(&densemcp.Tool{
		Name:           "echo",
		InputSchema:    json.RawMessage(`{"type":"object","properties":{"text":{"type":"string"}},"required":["text"],"additionalProperties":false}`),
		OutputSchema:   json.RawMessage(`{"type":"object","properties":{"text":{"type":"string"}},"required":["text"],"additionalProperties":false}`),
		Inline:         true,
		OutputConforms: true,
	}, echo); err != nil {
		fmt.Fprintln(os.Stderr, "mwserver:", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(os.Stderr, "mwserver: tcp=%s http=%s middleware=%d pid=%d\n", *tcp, *http, *n, os.Getpid())
	if err := s.Serve(ctx, *tcp, *http); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "mwserver:", err)
		os.Exit(1)
	}
}

// noop is the middleware measured: it passes every message on.
func noop(next densemcp.MethodHandler) densemcp.MethodHandler {
	return func(ctx context.Context, c *densemcp.Call) (json.RawMessage, error) { return next(ctx, c) }
}

// echo is the binary's built-in echo tool: text block and the arguments
// as structured output, without allocating.
func echo(req *densemcp.Request, args []byte) error {
	tok, _ := codec.ObjectField(args, "text")
	var b [512]byte
	text, err := codec.Unquote(b[:0], tok)
	if err != nil {
		return err
	}
	req.Result.AddTextBytes(text)
	req.Result.SetStructuredOwned(args)
	return nil
}
