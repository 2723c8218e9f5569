package densemcp_test

import (
	"context"
	"encoding/json"
	"net"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// sdkOverTCP connects the official Go SDK client over a TCP connection,
// speaking protocol version pv ("" = the SDK's latest, the modern era).
func sdkOverTCP(t *testing.T, addr, pv string) *mcp.ClientSession {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "sdk-test", Version: "1.0.0"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cs, err := client.Connect(ctx, &mcp.IOTransport{Reader: c, Writer: c}, &mcp.ClientSessionOptions{ProtocolVersion: pv})
	if err != nil {
		t.Fatalf("connect (%q): %v", pv, err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// exerciseSession runs the core flow every era and transport must pass.
func exerciseSession(t *testing.T, cs *mcp.ClientSession, wantVersion string, canPing bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if got := cs.InitializeResult().ProtocolVersion; got != wantVersion {
		t.Fatalf("negotiated %q, want %q", got, wantVersion)
	}
	if cs.InitializeResult().ServerInfo == nil || cs.InitializeResult().ServerInfo.Name == "" {
		t.Fatalf("no serverInfo: %+v", cs.InitializeResult())
	}
	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	var echo *mcp.Tool
	for _, tl := range tools.Tools {
		if tl.Name == "echo" {
			echo = tl
		}
	}
	if echo == nil {
		t.Fatalf("echo not listed: %+v", tools.Tools)
	}
	if echo.InputSchema == nil || echo.OutputSchema == nil {
		t.Fatalf("echo schemas missing: in=%v out=%v", echo.InputSchema, echo.OutputSchema)
	}

	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "hello, world"}})
	if err != nil {
		t.Fatalf("tools/call: %v", err)
	}
	if res.IsError {
		t.Fatalf("echo failed: %+v", res.Content)
	}
	if len(res.Content) != 1 || res.Content[0].(*mcp.TextContent).Text != "hello, world" {
		t.Fatalf("echo content: %+v", res.Content)
	}
	sc, _ := json.Marshal(res.StructuredContent)
	if string(sc) != `{"text":"hello, world"}` {
		t.Fatalf("structuredContent: %s", sc)
	}

	// Arguments that fail the input schema are a tool error, not a protocol error.
	res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": 42}})
	if err != nil {
		t.Fatalf("tools/call with bad args: protocol error %v, want a tool error", err)
	}
	if !res.IsError || len(res.Content) == 0 {
		t.Fatalf("bad args: want isError with a message, got %+v", res)
	}

	if canPing {
		if err := cs.Ping(ctx, nil); err != nil {
			t.Fatalf("ping: %v", err)
		}
	}
}

func TestSDKClientOverTCPLegacy(t *testing.T) {
	addr := serveTCP(t, newTestServer(t, nil, nil))
	for _, v := range []string{"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"} {
		t.Run(v, func(t *testing.T) {
			exerciseSession(t, sdkOverTCP(t, addr, v), v, true)
		})
	}
}

func TestSDKClientOverTCPModern(t *testing.T) {
	addr := serveTCP(t, newTestServer(t, nil, nil))
	exerciseSession(t, sdkOverTCP(t, addr, ""), "2026-07-28", false)
}

// The built binary over stdio, driven by the SDK's command transport.
func TestSDKClientOverStdioBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "densemcp")
	out, err := exec.Command("go", "build", "-o", bin, "./cmd/densemcp").CombinedOutput()
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for _, v := range []string{"2025-11-25", ""} {
		client := mcp.NewClient(&mcp.Implementation{Name: "sdk-stdio", Version: "1.0.0"}, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		cs, err := client.Connect(ctx, &mcp.CommandTransport{Command: exec.Command(bin, "serve", "--stdio", "--log-level", "error")}, &mcp.ClientSessionOptions{ProtocolVersion: v})
		if err != nil {
			cancel()
			t.Fatalf("connect over stdio (%q): %v", v, err)
		}
		want := v
		if want == "" {
			want = "2026-07-28"
		}
		exerciseSession(t, cs, want, v != "")
		if err := cs.Close(); err != nil {
			t.Logf("close: %v", err)
		}
		cancel()
	}
}
