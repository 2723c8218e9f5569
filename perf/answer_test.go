package perf

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckAnswer(t *testing.T) {
	text := appendText(nil, 7, 16)
	if string(text) != "t7xxxxxxxxxxxxxx" {
		t.Fatalf("appendText = %q", text)
	}
	f := func(body string, want verdict) {
		t.Helper()
		if got, _ := checkAnswer([]byte(body), 7, text); got != want {
			t.Fatalf("checkAnswer(%s) = %v, want %v", body, got, want)
		}
	}
	ok := `"result":{"content":[{"type":"text","text":"t7xxxxxxxxxxxxxx"}],"structuredContent":{"text":"t7xxxxxxxxxxxxxx"}}}`
	f(`{"jsonrpc":"2.0","id":7,`+ok, verdictOK)
	f(`{"jsonrpc":"2.0","id": 7,`+ok, verdictOK)
	f("event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":7,"+ok+"\n\n", verdictOK)
	f(`{"jsonrpc":"2.0","id":8,`+ok, verdictWrongID)
	f(`{"jsonrpc":"2.0","id":77,`+ok, verdictWrongID)
	f(`{"jsonrpc":"2.0","id":"7",`+ok, verdictNoID)
	f(`{"jsonrpc":"2.0",`+ok, verdictNoID)
	f(`{"jsonrpc":"2.0","id":7,"error":{"code":-32602,"message":"t7xxxxxxxxxxxxxx"}}`, verdictRPCError)
	f(`{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"t8xxxxxxxxxxxxxx"}]}}`, verdictNoText)
	f(`{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"t7xxxxxxxxxxxxx"}]}}`, verdictNoText)
	f(`{"jsonrpc":"2.0","id":99999999999999999999,`+ok, verdictNoID)
	// Refusals are errors in the server range that say when to retry; the echo text does
	// not matter for them.
	f(`{"jsonrpc":"2.0","id":7,"error":{"code":-32000,"message":"overloaded","data":{"retryAfterMs":250}}}`, verdictRefused)
	f(`{"jsonrpc":"2.0","id":7,"error":{"code": -32099,"message":"x","data":{"reason":"queue","retryAfterMs": 0}}}`, verdictRefused)
	f(`{"jsonrpc":"2.0","id":7,"error":{"code":-32000,"message":"overloaded"}}`, verdictBadRefusal)
	f(`{"jsonrpc":"2.0","id":7,"error":{"code":-32100,"message":"x","data":{"retryAfterMs":5}}}`, verdictRPCError)
	f(`{"jsonrpc":"2.0","id":7,"error":{"code":-31999,"message":"x","data":{"retryAfterMs":5}}}`, verdictRPCError)
	f(`{"jsonrpc":"2.0","id":7,"error":{"message":"no code"}}`, verdictRPCError)
}

// Calls of tools other than echo carry no text: an answer is good when it is a result that
// is not a tool error.
func TestCheckAnswerOtherTool(t *testing.T) {
	f := func(body string, want verdict, wantMs int64) {
		t.Helper()
		if got, ms := checkAnswer([]byte(body), 3, nil); got != want || ms != wantMs {
			t.Fatalf("checkAnswer(%s) = %v %d, want %v %d", body, got, ms, want, wantMs)
		}
	}
	f(`{"jsonrpc":"2.0","id":3,"result":{"content":[{"type":"text","text":"burnt 200us"}]}}`, verdictOK, 0)
	f(`{"jsonrpc":"2.0","id":3,"result":{"content":[{"type":"text","text":"bad args"}],"isError":true}}`, verdictToolError, 0)
	f(`{"jsonrpc":"2.0","id":3,"result":{"content":[],"isError":false}}`, verdictOK, 0)
	f(`{"jsonrpc":"2.0","id":3,"error":{"code":-32001,"message":"busy","data":{"retryAfterMs":1500}}}`, verdictRefused, 1500)
	f(`{"jsonrpc":"2.0","id":4,"result":{}}`, verdictWrongID, 0)
}

func TestStringField(t *testing.T) {
	f := func(body, key, want string) {
		t.Helper()
		if got := string(stringField([]byte(body), key)); got != want {
			t.Fatalf("stringField(%s, %s) = %q, want %q", body, key, got, want)
		}
	}
	f(`{"result":{"protocolVersion":"2025-06-18","capabilities":{}}}`, "protocolVersion", "2025-06-18")
	f(`{"result":{}}`, "protocolVersion", "")
	f(`{"protocolVersion":"unterminated`, "protocolVersion", "")
}

func TestAppendCall(t *testing.T) {
	cfg := Config{Tool: "echo"}
	if err := cfg.buildCall(); err != nil {
		t.Fatal(err)
	}
	appendCallBody := func(dst []byte, id uint64, size int, modern bool) []byte {
		return cfg.call.appendCall(dst, id, size, modern)
	}
	got := string(appendCallBody(nil, 12, 4, false))
	want := `{"jsonrpc":"2.0","id":12,"method":"tools/call","params":{"name":"echo","arguments":{"text":"t12x"}}}`
	if got != want {
		t.Fatalf("legacy body\n got %s\nwant %s", got, want)
	}
	got = string(appendCallBody(nil, 3, 2, true))
	want = `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{"text":"t3"},` +
		`"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}`
	if got != want {
		t.Fatalf("modern body\n got %s\nwant %s", got, want)
	}
}

func TestAppendCallOtherTool(t *testing.T) {
	f := func(tool, args, want string) {
		t.Helper()
		cfg := Config{Tool: tool, Args: args}
		if err := cfg.buildCall(); err != nil {
			t.Fatal(err)
		}
		if got := string(cfg.call.appendCall(nil, 5, 16, false)); got != want {
			t.Fatalf("--tool %s --args %q\n got %s\nwant %s", tool, args, got, want)
		}
	}
	f("work", "{\n  \"cpuMicros\": 200\n}", `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"work","arguments":{"cpuMicros":200}}}`)
	f("work", "", `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"work","arguments":{}}}`)
	// echo with arguments given is sent as given, and verified like any other tool.
	f("echo", `{"text":"hi"}`, `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}`)

	bad := func(tool, args string, want error) {
		t.Helper()
		cfg := Config{Tool: tool, Args: args}
		if err := cfg.buildCall(); !errors.Is(err, want) {
			t.Fatalf("--tool %q --args %q: %v, want %v", tool, args, err, want)
		}
	}
	bad("work", `[1,2]`, ErrBadFlag)
	bad("work", `{"a":`, ErrBadFlag)
	bad("work", `"x"`, ErrBadFlag)
	bad("a b", ``, ErrBadFlag)
	bad("evil\r\nX-Injected: 1", ``, ErrBadFlag)
	bad("work", `{"x":"`+strings.Repeat("a", MaxArgsSize)+`"}`, ErrOutOfBounds)
}

func TestModernHeadNamesTool(t *testing.T) {
	h := httpHead{host: []byte("h"), path: []byte("/mcp")}
	got := string(h.appendPost(nil, []byte("{}"), nil, nil, []byte("work"), true))
	if !strings.Contains(got, "\r\nMcp-Name: work\r\n") {
		t.Fatalf("modern POST head does not name the tool:\n%s", got)
	}
}
