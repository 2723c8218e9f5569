// Command apisrv serves the echo tool through the library's API, for the
// measurements of perf/middleware.sh and perf/nethttp.sh: with N no-op
// middlewares on the receiving and sending chains (--middleware), and
// Streamable HTTP on the gnet loops or through net/http (--nethttp:
// Server.Handler on an http.Server). Loopback only.
//
//	go run ./perf/apisrv --tcp 127.0.0.1:21010 --http 127.0.0.1:21011 --middleware 1
//	go run ./perf/apisrv --tcp "" --http 127.0.0.1:21011 --nethttp
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/densemcp/densemcp"
	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/engine"
)

func main() {
	tcp := flag.String("tcp", "127.0.0.1:21010", "loopback address for TCP NDJSON (empty: none)")
	http := flag.String("http", "127.0.0.1:21011", "loopback address for Streamable HTTP (empty: none)")
	n := flag.Int("middleware", 0, "no-op middlewares on each chain")
	loops := flag.Int("loops", 1, "event loops (shards with --nethttp)")
	nethttp := flag.Bool("nethttp", false, "serve --http through net/http (Server.Handler) instead of the gnet loops")
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
		fmt.Fprintln(os.Stderr, "apisrv:", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(os.Stderr, "apisrv: tcp=%s http=%s middleware=%d nethttp=%v pid=%d\n", *tcp, *http, *n, *nethttp, os.Getpid())
	if *nethttp {
		if err := serveNetHTTP(ctx, s, *http); err != nil {
			fmt.Fprintln(os.Stderr, "apisrv:", err)
			os.Exit(1)
		}
		if *tcp == "" {
			<-ctx.Done()
			return
		}
	}
	httpAddr := *http
	if *nethttp {
		httpAddr = ""
	}
	if err := s.ListenAndServe(ctx, *tcp, httpAddr); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "apisrv:", err)
		os.Exit(1)
	}
}

// serveNetHTTP serves s.Handler() at /mcp on addr, in the background,
// until ctx ends.
func serveNetHTTP(ctx context.Context, s *densemcp.Server, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/mcp", s.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "apisrv:", err)
		}
	}()
	return nil
}

// noop is the middleware measured: it passes every message on.
func noop(next densemcp.MethodHandler) densemcp.MethodHandler {
	return func(ctx context.Context, c *densemcp.Call) (json.RawMessage, error) { return next(ctx, c) }
}

// echo is the binary's built-in echo tool: text block and the arguments
// as structured output, without allocating.
func echo(_ context.Context, req *densemcp.Request, args json.RawMessage) error {
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
