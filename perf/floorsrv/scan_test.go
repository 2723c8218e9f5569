package floorsrv

import (
	"strconv"
	"testing"
)

func TestAppendAnswer(t *testing.T) {
	f := func(msg, want string) {
		t.Helper()
		got, ok := appendAnswer(nil, []byte(msg))
		if want == "" {
			if ok {
				t.Fatalf("notification %s answered: %s", msg, got)
			}
			return
		}
		if string(got) != want {
			t.Fatalf("appendAnswer(%s)\n got %s\nwant %s", msg, got, want)
		}
	}
	f(`{"jsonrpc":"2.0","method":"notifications/initialized"}`, "")
	f(`{"jsonrpc":"2.0","id":null,"method":"x"}`, "")
	f(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"text":"a\"b"}}}`,
		`{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"a\"b"}],"structuredContent":{"text":"a\"b"}}}`)
	f(`{"jsonrpc":"2.0","id": "x\"y","method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"},`+
		`"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`,
		`{"jsonrpc":"2.0","id":"x\"y","result":{"content":[{"type":"text","text":"hi"}],"structuredContent":{"text":"hi"},"resultType":"complete"}}`)
	f(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{}}`,
		`{"jsonrpc":"2.0","id":0,"result":{"protocolVersion":"2025-11-25","capabilities":{"tools":{}},"serverInfo":{"name":"densemcp-floor","version":"1.0.0"}}}`)
	f(`{"jsonrpc":"2.0","id":3,"method":"ping"}`, `{"jsonrpc":"2.0","id":3,"result":{}}`)
}

// TestRequestFraming feeds a pipelined pair of requests cut at every byte: a prefix of
// the first request must wait for more, and the whole must frame the first request only.
func TestRequestFraming(t *testing.T) {
	body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"t1"}}}`
	req := "POST /mcp HTTP/1.1\r\nHost: x\r\ncontent-length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	h := &httpHandler{}
	for cut := 0; cut < len(req); cut++ {
		n, _, bad := h.request([]byte(req[:cut]), nil, &connState{})
		if n != 0 || bad {
			t.Fatalf("prefix %d: n=%d bad=%v", cut, n, bad)
		}
	}
	n, out, bad := h.request([]byte(req+req), nil, &connState{})
	if n != len(req) || bad {
		t.Fatalf("whole: n=%d bad=%v", n, bad)
	}
	answer := `{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"t1"}],"structuredContent":{"text":"t1"}}}`
	want := "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(answer)) + "\r\n\r\n" + answer
	if string(out) != want {
		t.Fatalf("answer\n got %q\nwant %q", out, want)
	}
	if _, _, bad := h.request([]byte("POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n"), nil, &connState{}); !bad {
		t.Fatal("bad Content-Length accepted")
	}
}
