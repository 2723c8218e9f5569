package engine

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/router"
)

// The echo tool as `densemcp serve` registers it (perf/fixtures.AddEcho,
// which this package cannot import): raw, inline, arguments validated
// against the input schema, the arguments object echoed as structured
// output.
const (
	memEchoInput  = `{"type":"object","properties":{"text":{"type":"string","description":"the text to echo back"}},"required":["text"],"additionalProperties":false}`
	memEchoOutput = `{"type":"object","properties":{"text":{"type":"string","description":"the same text"}},"required":["text"],"additionalProperties":false}`
)

func memEcho(req *router.Request, args []byte) error {
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

// memNDJSON is one TCP NDJSON connection on a loop of a server that is not
// listening: the test feeds lines to OnTraffic directly, so the
// transport's own work is measured without sockets.
type memNDJSON struct {
	s *Server
	c *memConn
}

func newMemNDJSON(tb testing.TB) *memNDJSON {
	tb.Helper()
	r := router.New(router.Implementation{Name: "mem", Version: "1"}, router.Options{})
	err := r.AddTool(router.Tool{Name: "echo", Inline: true, OutputConforms: true,
		InputSchema: []byte(memEchoInput), OutputSchema: []byte(memEchoOutput)}, memEcho, false)
	if err != nil {
		tb.Fatal(err)
	}
	s := New(r, Config{Loops: 1}, nil)
	l := s.newLoop(0)
	c := &memConn{}
	cn := &conn{c: c, l: l}
	cn.session = r.NewSession(l.shard, cn)
	c.SetContext(cn)
	l.watch(cn)
	return &memNDJSON{s: s, c: c}
}

// exchange sends raw lines and returns what the server wrote.
func (h *memNDJSON) exchange(raw []byte) []byte {
	h.c.out = h.c.out[:0]
	h.c.in = append(h.c.in[:0], raw...)
	h.s.OnTraffic(h.c)
	return h.c.out
}

// ndjsonBatch initializes a legacy session and returns a function that
// sends depth pipelined tools/call of echo (16-byte texts, as `densemcp
// bench` sends by default), checked once here.
func (h *memNDJSON) ndjsonBatch(tb testing.TB, depth int) func() {
	tb.Helper()
	init := `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}` + "\n" +
		`{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n"
	if out := h.exchange([]byte(init)); !bytes.Contains(out, []byte(`"protocolVersion":"2025-11-25"`)) {
		tb.Fatalf("initialize: %q", out)
	}
	var batch []byte
	for i := range depth {
		id := strconv.Itoa(1000 + i)
		batch = append(batch, `{"jsonrpc":"2.0","id":`+id+`,"method":"tools/call","params":{"name":"echo","arguments":{"text":"t`+id+`xxxxxxxxxxx"}}}`+"\n"...)
	}
	if out := h.exchange(batch); bytes.Count(out, []byte(`"structuredContent":{"text":"t1`)) != depth {
		tb.Fatalf("answers of %d calls: %q", depth, out)
	}
	return func() { h.exchange(batch) }
}

// BenchmarkNDJSONToolsCall is the TCP NDJSON transport's whole userland
// path for 16 pipelined tools/call of the echo tool — framing, decode,
// route, argument validation, handler, encode, one write — without
// sockets. ns/op is per call.
func BenchmarkNDJSONToolsCall(b *testing.B) {
	const depth = 16
	run := newMemNDJSON(b).ndjsonBatch(b, depth)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		run()
		n++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*depth), "ns/call")
}
