// Command gosdk is the official-Go-SDK peer for densemcp's benchmarks: a Streamable HTTP
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
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// echoIn is the echo tool's input: {"text": string}.
type echoIn struct {
	Text string `json:"text" jsonschema:"the text to echo back"`
}

// echoOut is the echo tool's structured output: {"text": string}.
type echoOut struct {
	Text string `json:"text" jsonschema:"the same text"`
}

func echo(_ context.Context, _ *mcp.CallToolRequest, in echoIn) (*mcp.CallToolResult, echoOut, error) {
	res := &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: in.Text}}}
	return res, echoOut{Text: in.Text}, nil
}

func workTool(ctx context.Context, _ *mcp.CallToolRequest, in work.Args) (*mcp.CallToolResult, work.Out, error) {
	out, texts, err := work.Do(ctx, in)
	if err != nil {
		return nil, work.Out{}, err
	}
	res := &mcp.CallToolResult{}
	for _, t := range texts {
		res.Content = append(res.Content, &mcp.TextContent{Text: t})
	}
	return res, out, nil
}

func main() {
	addr := flag.String("http", "127.0.0.1:8082", "loopback address for Streamable HTTP at /mcp")
	stateless := flag.Bool("stateless", false, "serve without sessions (no Mcp-Session-Id, GET returns 405)")
	jsonResponse := flag.Bool("json-response", true, "answer POSTs with application/json instead of an SSE stream")
	flag.Parse()
	if err := requireLoopback(*addr); err != nil {
		log.Fatal(err)
	}

	srv := mcp.NewServer(&mcp.Implementation{Name: "gosdk-echo-peer", Version: "1.0.0"}, nil)
	mcp.AddTool(srv, &mcp.Tool{Name: "echo", Description: "Echo the given text."}, echo)
	mcp.AddTool(srv, &mcp.Tool{Name: "work", Description: work.Description}, workTool)
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv },
		&mcp.StreamableHTTPOptions{Stateless: *stateless, JSONResponse: *jsonResponse})
	mux := http.NewServeMux()
	mux.Handle("/mcp", h)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	hs := &http.Server{Handler: mux}
	go shutdownOnSignal(hs)
	log.Printf("gosdk peer: Streamable HTTP on http://%s/mcp (stateless=%v)", ln.Addr(), *stateless)
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
