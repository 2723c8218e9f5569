package http1

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"testing"
)

// dechunk reads chunked bytes with the reference reader and also returns
// the chunk count, parsed independently.
func dechunk(t *testing.T, wire []byte) (string, int) {
	t.Helper()
	text, err := io.ReadAll(httputil.NewChunkedReader(bytes.NewReader(wire)))
	if err != nil {
		t.Fatalf("reference chunked reader on %q: %v", wire, err)
	}
	chunks := 0
	for rest := wire; ; chunks++ {
		line, after, ok := bytes.Cut(rest, []byte("\r\n"))
		size, err := strconv.ParseUint(string(line), 16, 32)
		if !ok || err != nil {
			t.Fatalf("bad chunk size line in %q", wire)
		}
		if size == 0 {
			break
		}
		rest = after[size+2:]
	}
	return string(text), chunks
}

func TestAppendSSEEvent(t *testing.T) {
	f := func(id, event, data, want string) {
		t.Helper()
		var idb []byte
		if id != "" {
			idb = []byte(id)
		}
		wire := AppendLastChunk(AppendSSEEvent(nil, idb, event, []byte(data)))
		text, chunks := dechunk(t, wire)
		if text != want || chunks != 1 {
			t.Fatalf("AppendSSEEvent(%q, %q, %q) = %q in %d chunks; want %q in 1", id, event, data, text, chunks, want)
		}
	}
	f("", "", `{"jsonrpc":"2.0","id":1,"result":{}}`, "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n")
	f("s1-42", "message", `{}`, "id: s1-42\nevent: message\ndata: {}\n\n")
	f("7", "", "", "id: 7\ndata: \n\n")
	f("", "", "a\nb\r\nc\rd", "data: a\ndata: b\ndata: c\ndata: d\n\n")
	f("", "", "a\n", "data: a\ndata: \n\n")
	f("", "", "\r\n\r\n", "data: \ndata: \ndata: \n\n")
	f("", "", "\n\r", "data: \ndata: \ndata: \n\n")
	f("", "", "x\r", "data: x\ndata: \n\n")
}

func TestAppendSSEOthers(t *testing.T) {
	wire := AppendSSEComment(nil, "ping")
	wire = AppendSSERetry(wire, []byte("s1-0"), 1500)
	wire = AppendSSERetry(wire, nil, 0)
	wire = AppendSSEComment(wire, "")
	text, chunks := dechunk(t, AppendLastChunk(wire))
	want := ": ping\n\n" + "id: s1-0\nretry: 1500\ndata: \n\n" + "retry: 0\ndata: \n\n" + ": \n\n"
	if text != want || chunks != 4 {
		t.Fatalf("got %q in %d chunks; want %q in 4", text, chunks, want)
	}
}

// TestSSEStreamThroughNetHTTP reads a whole SSE response with net/http's
// client-side parser.
func TestSSEStreamThroughNetHTTP(t *testing.T) {
	wire := AppendSSEHead(nil, [2]string{"Mcp-Session-Id", "s1"})
	wire = AppendSSERetry(wire, []byte("1"), 100)
	wire = AppendSSEEvent(wire, []byte("2"), "", []byte("{\n}"))
	wire = AppendLastChunk(wire)
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(wire)), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" ||
		resp.Header.Get("Cache-Control") != "no-cache" || resp.Header.Get("Mcp-Session-Id") != "s1" ||
		len(resp.TransferEncoding) != 1 || resp.TransferEncoding[0] != "chunked" {
		t.Fatalf("response %d %v %v", resp.StatusCode, resp.Header, resp.TransferEncoding)
	}
	if want := "id: 1\nretry: 100\ndata: \n\nid: 2\ndata: {\ndata: }\n\n"; string(body) != want {
		t.Fatalf("body %q; want %q", body, want)
	}
}

// FuzzAppendSSEEvent checks that an SSE client reading the chunk gets the
// data back, with CRLF and CR turned into LF as the SSE grammar does.
func FuzzAppendSSEEvent(f *testing.F) {
	f.Add([]byte(`{"jsonrpc":"2.0"}`))
	f.Add([]byte("a\r\nb\rc\n\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		text, chunks := dechunk(t, AppendLastChunk(AppendSSEEvent(nil, []byte("1"), "message", data)))
		if chunks != 1 || !strings.HasSuffix(text, "\n\n") {
			t.Fatalf("%q: %d chunks, text %q", data, chunks, text)
		}
		var got []string
		for _, line := range strings.Split(strings.TrimSuffix(text, "\n\n"), "\n") {
			if v, ok := strings.CutPrefix(line, "data: "); ok {
				got = append(got, v)
			} else if line != "id: 1" && line != "event: message" {
				t.Fatalf("%q: unexpected line %q in %q", data, line, text)
			}
		}
		want := strings.ReplaceAll(strings.ReplaceAll(string(data), "\r\n", "\n"), "\r", "\n")
		if strings.Join(got, "\n") != want {
			t.Fatalf("%q: client sees %q", data, strings.Join(got, "\n"))
		}
	})
}
