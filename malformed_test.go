package densemcp_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/densemcp/densemcp"
	"github.com/densemcp/densemcp/engine"
)

type rpcError struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

type rpcAnswer struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  json.RawMessage `json:"result"`
	Error   *rpcError       `json:"error"`
}

func decodeAnswer(t *testing.T, line string) rpcAnswer {
	t.Helper()
	var a rpcAnswer
	if err := json.Unmarshal([]byte(line), &a); err != nil {
		t.Fatalf("answer is not JSON: %q: %v", line, err)
	}
	if a.JSONRPC != "2.0" {
		t.Fatalf("answer without jsonrpc 2.0: %s", line)
	}
	return a
}

// Every malformed input gets the exact JSON-RPC error, and the connection
// still answers a ping afterwards.
func TestMalformedInputGetsErrorAndConnectionLives(t *testing.T) {
	addr := serveTCP(t, newTestServer(t, nil, nil))
	l := dialLines(t, addr)

	f := func(in string, wantCode int, wantID string, wantMsg string) {
		t.Helper()
		a := decodeAnswer(t, l.roundTrip(in))
		if a.Error == nil {
			t.Fatalf("%q: want error %d, got result %s", in, wantCode, a.Result)
		}
		if a.Error.Code != wantCode {
			t.Fatalf("%q: code %d (%s), want %d", in, a.Error.Code, a.Error.Message, wantCode)
		}
		if string(a.ID) != wantID {
			t.Fatalf("%q: id %s, want %s", in, a.ID, wantID)
		}
		if wantMsg != "" && !strings.Contains(a.Error.Message, wantMsg) {
			t.Fatalf("%q: message %q, want it to contain %q", in, a.Error.Message, wantMsg)
		}
		l.expectPing()
	}
	f(`{"jsonrpc":"2.0","id":1,"method":`, -32700, "null", "")
	f(`not json`, -32700, "null", "")
	f(`[{"jsonrpc":"2.0","id":1,"method":"ping"}]`, -32600, "null", "batching is not supported")
	f(`{"jsonrpc":"2.0","id":2,"Method":"ping"}`, -32600, "2", "")
	f("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\",\"params\":{\"a\":\"\xff\"}}", -32700, "null", "")
	f(`{"jsonrpc":"2.0","id":4,"method":"ping","params":{"a\u0000":1}}`, -32700, "null", "")
	f(`{"jsonrpc":"2.0","id":5,"method":"ping","method":"tools/call"}`, -32700, "null", "")
	f(`{"jsonrpc":"2.0","id":null,"method":"ping"}`, -32600, "null", "")
	f(`{"jsonrpc":"1.0","id":6,"method":"ping"}`, -32600, "6", "")
	f(`{"jsonrpc":"2.0","id":7,"method":"ping","params":"x"}`, -32600, "7", "")
	// Before a handshake a request needs the modern _meta or initialize.
	f(`{"jsonrpc":"2.0","id":8,"method":"tools/list"}`, -32602, "8", "initialize")

	// An id is echoed byte for byte, even past float64 precision.
	got := l.roundTrip(`{"jsonrpc":"2.0","id":12345678901234567890123,"method":"ping"}`)
	if got != `{"jsonrpc":"2.0","id":12345678901234567890123,"result":{}}` {
		t.Fatalf("big id: %s", got)
	}
	got = l.roundTrip(`{"jsonrpc":"2.0","id":"a\"b","method":"ping"}`)
	if got != `{"jsonrpc":"2.0","id":"a\"b","result":{}}` {
		t.Fatalf("string id: %s", got)
	}

	l.initLegacy()
	f(`{"jsonrpc":"2.0","id":10,"method":"no/such"}`, -32601, "10", "no/such")
	f(`{"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"nope"}}`, -32602, "11", "Unknown tool: nope")
	f(`{"jsonrpc":"2.0","id":12,"method":"tools/list","params":{"cursor":"garbage!"}}`, -32602, "12", "Invalid cursor")
	f(`{"jsonrpc":"2.0","id":13,"method":"tools/call","params":{"name":"echo","arguments":[1]}}`, -32602, "13", "")
	f(`{"jsonrpc":"2.0","id":14,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}`, -32600, "14", "already")
}

// An over-long line is answered with a parse error and its connection is
// closed; another connection is unharmed.
func TestOverLongLineClosesOnlyThatConnection(t *testing.T) {
	opts := &densemcp.Options{Engine: engine.Config{MaxLineBytes: 1024}}
	addr := serveTCP(t, newTestServer(t, opts, nil))
	other := dialLines(t, addr)
	other.expectPing()

	l := dialLines(t, addr)
	l.send(`{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"` + strings.Repeat("x", 2000) + `"}}` + "\n")
	a := decodeAnswer(t, l.recv())
	if a.Error == nil || a.Error.Code != -32700 || !strings.Contains(a.Error.Message, "maximum size") {
		t.Fatalf("over-long line: %+v", a.Error)
	}
	if _, err := l.r.ReadString('\n'); err == nil {
		t.Fatal("connection still open after an over-long line")
	}
	other.expectPing()
}

// A partial line waits for the rest; several messages in one write are
// all answered.
func TestPartialAndPipelinedLines(t *testing.T) {
	addr := serveTCP(t, newTestServer(t, nil, nil))
	l := dialLines(t, addr)
	msg := `{"jsonrpc":"2.0","id":1,"method":"ping"}` + "\n"
	for i := 0; i < len(msg); i++ {
		l.send(msg[i : i+1])
	}
	if got := l.recv(); got != `{"jsonrpc":"2.0","id":1,"result":{}}` {
		t.Fatalf("byte-by-byte ping: %s", got)
	}
	l.send(`{"jsonrpc":"2.0","id":2,"method":"ping"}` + "\r\n\n" + `{"jsonrpc":"2.0","id":3,"method":"ping"}` + "\n")
	if got := l.recv(); got != `{"jsonrpc":"2.0","id":2,"result":{}}` {
		t.Fatalf("pipelined 1: %s", got)
	}
	if got := l.recv(); got != `{"jsonrpc":"2.0","id":3,"result":{}}` {
		t.Fatalf("pipelined 2: %s", got)
	}
}
