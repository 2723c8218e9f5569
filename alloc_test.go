//go:build !race

package densemcp

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/shards"
)

// An inline raw tool registered through the public API — its handler gets
// the context, the *Request view and the raw arguments — keeps the steady
// state of a call free of allocations, with and without a no-op
// middleware, in both eras.
func TestPublicAPIToolsCallAllocatesNothing(t *testing.T) {
	noop := func(next MethodHandler) MethodHandler {
		return func(ctx context.Context, c *Call) (json.RawMessage, error) { return next(ctx, c) }
	}
	f := func(name string, mw []Middleware, setup []string, line string) {
		t.Helper()
		s := NewServer(Implementation{Name: "alloc", Version: "1"}, &Options{ReceivingMiddleware: mw, SendingMiddleware: mw})
		err := s.AddRawTool(&Tool{Name: "echo", Inline: true,
			InputSchema: json.RawMessage(`{"type":"object","properties":{"text":{"type":"string"}},"required":["text"]}`)},
			func(_ context.Context, req *Request, args json.RawMessage) error {
				tok, _ := codec.ObjectField(args, "text")
				var b [64]byte
				txt, err := codec.Unquote(b[:0], tok)
				if err != nil {
					return err
				}
				req.Result.AddTextBytes(txt)
				return nil
			})
		if err != nil {
			t.Fatal(err)
		}
		out := &sink{}
		sess := s.r.NewSession(s.r.NewShard(shards.NewInbox(16)), out)
		var dec codec.Decoder
		var m codec.Message
		handle := func(l []byte) {
			m.Reset()
			if err := dec.Decode(l, &m); err != nil {
				t.Fatal(err)
			}
			s.r.Handle(sess, &m)
		}
		for _, l := range setup {
			handle([]byte(l))
		}
		lb := []byte(line)
		handle(lb)
		want := `"content":[{"type":"text","text":"hello"}]`
		if !contains(out.last, want) {
			t.Fatalf("%s: answer %s", name, out.last)
		}
		if n := testing.AllocsPerRun(200, func() { handle(lb) }); n != 0 {
			t.Fatalf("%s: %v allocations per call, want 0", name, n)
		}
	}
	legacy := []string{`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"b","version":"1"}}}`,
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`}
	call := `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello"}}}`
	modern := `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello"},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}`
	f("legacy", nil, legacy, call)
	f("modern", nil, nil, modern)
	f("legacy, middleware", []Middleware{noop}, legacy, call)
	f("modern, middleware", []Middleware{noop}, nil, modern)
}

func contains(b []byte, s string) bool {
	for i := 0; i+len(s) <= len(b); i++ {
		if string(b[i:i+len(s)]) == s {
			return true
		}
	}
	return false
}
