package router

import (
	"strings"
	"testing"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/shards"
)

func TestInlineToolsCallAnswer(t *testing.T) {
	r, s, out := newBenchRouter(t)
	var dec codec.Decoder
	var m codec.Message
	handleLine(r, s, &dec, &m, lineInit)
	handleLine(r, s, &dec, &m, lineInitialized)
	handleLine(r, s, &dec, &m, lineCall)
	if string(out.last) != wantCallAnswer {
		t.Fatalf("got  %s\nwant %s", out.last, wantCallAnswer)
	}
}

// The shard remembers the tool its last call named; a replaced or removed
// tool is never served from that memory.
func TestToolsCallAfterReplaceAndRemove(t *testing.T) {
	r, s, out := newBenchRouter(t)
	var dec codec.Decoder
	var m codec.Message
	handleLine(r, s, &dec, &m, lineInit)
	handleLine(r, s, &dec, &m, lineInitialized)
	handleLine(r, s, &dec, &m, lineCall)
	handleLine(r, s, &dec, &m, lineCall)
	if string(out.last) != wantCallAnswer {
		t.Fatalf("got  %s\nwant %s", out.last, wantCallAnswer)
	}
	err := r.AddTool(Tool{Name: "echo", Inline: true}, func(req *Request, _ []byte) error {
		req.Result.AddText("replaced")
		return nil
	}, true)
	if err != nil {
		t.Fatal(err)
	}
	handleLine(r, s, &dec, &m, lineCall)
	if !strings.Contains(string(out.last), `"text":"replaced"`) {
		t.Fatalf("after the tool was replaced: %s", out.last)
	}
	if n := r.RemoveTools("echo"); n != 1 {
		t.Fatalf("RemoveTools = %d", n)
	}
	handleLine(r, s, &dec, &m, lineCall)
	if !strings.Contains(string(out.last), `Unknown tool: echo`) {
		t.Fatalf("after the tool was removed: %s", out.last)
	}
}

// Output that does not match the outputSchema is an internal error, not a
// result a client would trust.
func TestOutputSchemaViolation(t *testing.T) {
	r, s, out := newBenchRouter(t)
	err := r.AddTool(Tool{Name: "bad", Inline: true, OutputSchema: []byte(`{"type":"object","required":["n"]}`)},
		func(req *Request, args []byte) error { req.Result.SetStructuredOwned([]byte(`{}`)); return nil }, false)
	if err != nil {
		t.Fatal(err)
	}
	var dec codec.Decoder
	var m codec.Message
	handleLine(r, s, &dec, &m, lineInit)
	handleLine(r, s, &dec, &m, lineInitialized)
	handleLine(r, s, &dec, &m, []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"bad"}}`))
	if !strings.Contains(string(out.last), `"code":-32603`) {
		t.Fatalf("got %s", out.last)
	}
}

// tools/list pages are deterministic (by name) and linked by opaque cursors.
func TestToolsListPagination(t *testing.T) {
	r := New(Implementation{Name: "p", Version: "1"}, Options{PageSize: 2})
	for _, n := range []string{"d", "b", "e", "a", "c"} {
		if err := r.AddTool(Tool{Name: n, Inline: true}, echoInline, false); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.AddTool(Tool{Name: "a", Inline: true}, echoInline, false); err == nil {
		t.Fatal("duplicate tool name accepted")
	}
	if err := r.AddTool(Tool{Name: "bad name"}, echoInline, false); err == nil {
		t.Fatal("invalid tool name accepted")
	}
	out := &sink{}
	s := r.NewSession(r.NewShard(shards.NewInbox(16)), out)
	var dec codec.Decoder
	var m codec.Message
	handleLine(r, s, &dec, &m, lineInit)
	handleLine(r, s, &dec, &m, lineInitialized)
	var names []string
	cursor := ""
	for page := 0; page < 5; page++ {
		params := `{}`
		if cursor != "" {
			params = `{"cursor":"` + cursor + `"}`
		}
		handleLine(r, s, &dec, &m, []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/list","params":`+params+`}`))
		var res []byte
		if err := dec.Decode(out.last, &m); err != nil {
			t.Fatal(err)
		}
		res = m.Result
		tools, _ := codec.ObjectField(res, "tools")
		codec.ArrayEach(tools, func(v []byte) bool {
			n, _ := codec.ObjectField(v, "name")
			names = append(names, strings.Trim(string(n), `"`))
			return true
		})
		nc, ok := codec.ObjectField(res, "nextCursor")
		if !ok {
			break
		}
		cursor = strings.Trim(string(nc), `"`)
	}
	if strings.Join(names, ",") != "a,b,c,d,e" {
		t.Fatalf("pages gave %v", names)
	}
}
