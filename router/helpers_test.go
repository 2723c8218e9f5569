package router

import (
	"testing"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/shards"
)

// sink is a Transport that keeps the last message.
type sink struct{ last []byte }

func (s *sink) Send(_ MsgKind, _, msg []byte) { s.last = append(s.last[:0], msg...) }

// echoInline is an inline raw tool that copies args.text into a text block
// and structuredContent without allocating.
func echoInline(req *Request, args []byte) error {
	tok, _ := codec.ObjectField(args, "text")
	var b [256]byte
	txt, err := codec.Unquote(b[:0], tok)
	if err != nil {
		return err
	}
	req.Result.AddTextBytes(txt)
	req.Result.SetStructuredOwned(args)
	return nil
}

func newBenchRouter(tb testing.TB) (*Router, *Session, *sink) {
	tb.Helper()
	return newBenchRouterWith(tb, Options{})
}

func newBenchRouterWith(tb testing.TB, opts Options) (*Router, *Session, *sink) {
	tb.Helper()
	r := New(Implementation{Name: "bench", Version: "1"}, opts)
	err := r.AddTool(Tool{
		Name:         "echo",
		Inline:       true,
		InputSchema:  []byte(`{"type":"object","properties":{"text":{"type":"string"}},"required":["text"],"additionalProperties":false}`),
		OutputSchema: []byte(`{"type":"object","properties":{"text":{"type":"string"}},"required":["text"]}`),
	}, echoInline, false)
	if err != nil {
		tb.Fatal(err)
	}
	sh := r.NewShard(shards.NewInbox(16))
	out := &sink{}
	s := r.NewSession(sh, out)
	return r, s, out
}

func handleLine(r *Router, s *Session, dec *codec.Decoder, m *codec.Message, line []byte) {
	m.Reset()
	if err := dec.Decode(line, m); err != nil {
		r.HandleDecodeError(s, err)
		return
	}
	r.Handle(s, m)
}

var (
	lineInit        = []byte(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"b","version":"1"}}}`)
	lineInitialized = []byte(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	lineCall        = []byte(`{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello, world"}}}`)
	lineCallModern  = []byte(`{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello, world"},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}`)
)

const wantCallAnswer = `{"jsonrpc":"2.0","id":42,"result":{"content":[{"type":"text","text":"hello, world"}],"structuredContent":{"text":"hello, world"}}}`
