package perf

import "testing"

func TestCheckAnswer(t *testing.T) {
	text := appendText(nil, 7, 16)
	if string(text) != "t7xxxxxxxxxxxxxx" {
		t.Fatalf("appendText = %q", text)
	}
	f := func(body string, want verdict) {
		t.Helper()
		if got := checkAnswer([]byte(body), 7, text); got != want {
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

func TestAppendCallBody(t *testing.T) {
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
