// Command mcpgo is the mark3labs/mcp-go peer for densemcp's benchmarks: a Streamable HTTP
// server at /mcp with the tools of densemcp's `--fixtures load`: echo, whose input, output
// schema and structured output are the same as densemcp's built-in echo, and work, which
// burns and waits as densemcp's does. It binds to loopback only.
package main

import (
	"context"
	"errors"
	"flag"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/densemcp/densemcp/perf/peers/work"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// echoOut is the echo tool's structured output: {"text": string}.
type echoOut struct {
	Text string `json:"text" jsonschema_description:"the same text"`
}

func echo(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	text, err := req.RequireString("text")
	if err != nil {
		return mcp.NewToolResultError(err.Error()), nil
	}
	return mcp.NewToolResultStructured(echoOut{Text: text}, text), nil
}

func workTool(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	var in work.Args
	if err := req.BindArguments(&in); err != nil {
		return mcp.NewToolResultError(err.Error()), nil
	}
	out, texts, err := work.Do(ctx, in)
	if err != nil {
		return mcp.NewToolResultError(err.Error()), nil
	}
	res := mcp.NewToolResultStructured(out, texts[0])
	for _, t := range texts[1:] {
		res.Content = append(res.Content, mcp.NewTextContent(t))
	}
	return res, nil
}

func main() {
	addr := flag.String("http", "127.0.0.1:8083", "loopback address for Streamable HTTP at /mcp")
	stateless := flag.Bool("stateless", false, "serve without sessions")
	flag.Parse()
	if err := requireLoopback(*addr); err != nil {
		log.Fatal(err)
	}

	s := server.NewMCPServer("mcpgo-echo-peer", "1.0.0", server.WithToolCapabilities(false))
	tool := mcp.NewTool("echo",
		mcp.WithDescription("Echo the given text."),
		mcp.WithString("text", mcp.Required(), mcp.Description("the text to echo back")),
		mcp.WithOutputSchema[echoOut]())
	s.AddTool(tool, echo)
	s.AddTool(mcp.NewTool("work",
		mcp.WithDescription(work.Description),
		mcp.WithNumber("cpuMicros", mcp.Description("CPU time to burn, in microseconds")),
		mcp.WithNumber("waitMillis", mcp.Description("time to wait (after burning), in milliseconds")),
		mcp.WithNumber("resultBytes", mcp.Description("size of a text block added to the result")),
		mcp.WithOutputSchema[work.Out]()), workTool)

	var opts []server.StreamableHTTPOption
	if *stateless {
		opts = append(opts, server.WithStateLess(true))
	} else {
		opts = append(opts, server.WithStateful(true))
	}
	h := server.NewStreamableHTTPServer(s, opts...)
	mux := http.NewServeMux()
	mux.Handle("/mcp", h)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	hs := &http.Server{Handler: mux}
	go shutdownOnSignal(hs)
	log.Printf("mcpgo peer: Streamable HTTP on http://%s/mcp (stateless=%v)", ln.Addr(), *stateless)
	if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}

func shutdownOnSignal(hs *http.Server) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	<-ch
	_ = hs.Close()
}

// requireLoopback refuses any listen address outside 127.0.0.0/8 and ::1.
func requireLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return errors.New("listen address must be loopback: " + addr)
	}
	return nil
}
