package http1

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestAppendStatusLine(t *testing.T) {
	f := func(status int, want string) {
		t.Helper()
		if got := string(AppendStatusLine([]byte("x"), status)); got != "x"+want {
			t.Fatalf("AppendStatusLine(%d) = %q; want %q", status, got, want)
		}
	}
	f(100, "HTTP/1.1 100 Continue\r\n")
	f(200, "HTTP/1.1 200 OK\r\n")
	f(202, "HTTP/1.1 202 Accepted\r\n")
	f(204, "HTTP/1.1 204 No Content\r\n")
	f(400, "HTTP/1.1 400 Bad Request\r\n")
	f(403, "HTTP/1.1 403 Forbidden\r\n")
	f(404, "HTTP/1.1 404 Not Found\r\n")
	f(405, "HTTP/1.1 405 Method Not Allowed\r\n")
	f(406, "HTTP/1.1 406 Not Acceptable\r\n")
	f(413, "HTTP/1.1 413 Content Too Large\r\n")
	f(415, "HTTP/1.1 415 Unsupported Media Type\r\n")
	f(421, "HTTP/1.1 421 Misdirected Request\r\n")
	f(429, "HTTP/1.1 429 Too Many Requests\r\n")
	f(431, "HTTP/1.1 431 Request Header Fields Too Large\r\n")
	f(500, "HTTP/1.1 500 Internal Server Error\r\n")
	f(501, "HTTP/1.1 501 Not Implemented\r\n")
	f(503, "HTTP/1.1 503 Service Unavailable\r\n")
	f(505, "HTTP/1.1 505 HTTP Version Not Supported\r\n")
	f(299, "HTTP/1.1 299 \r\n")
	// Every listed status parses back with net/http.
	for status := 100; status < 600; status++ {
		if statusLine(status) == "" {
			continue
		}
		resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(statusLine(status)+"Content-Length: 0\r\n\r\n")), nil)
		if err != nil || resp.StatusCode != status {
			t.Fatalf("status %d: %v, %v", status, resp, err)
		}
	}
}

func TestAppendResponse(t *testing.T) {
	body := []byte(`{"jsonrpc":"2.0","id":1,"result":{}}`)
	out := AppendResponse(nil, 200, "application/json", body, false, [2]string{"Mcp-Session-Id", "s1"})
	want := "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 36\r\n" +
		"Mcp-Session-Id: s1\r\n\r\n" + string(body)
	if string(out) != want {
		t.Fatalf("AppendResponse = %q; want %q", out, want)
	}
	resp := readResponse(t, out)
	if resp.Header.Get("Mcp-Session-Id") != "s1" || resp.Close {
		t.Fatalf("header %v, close %v", resp.Header, resp.Close)
	}

	out = AppendResponse(nil, 404, "", nil, true)
	if string(out) != "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n" {
		t.Fatalf("AppendResponse(404, close) = %q", out)
	}
	if resp := readResponse(t, out); !resp.Close || resp.StatusCode != 404 {
		t.Fatalf("close %v status %d", resp.Close, resp.StatusCode)
	}

	// 204 has no Content-Length (RFC 9110 §8.6).
	out = AppendResponse(nil, 204, "", nil, false)
	if string(out) != "HTTP/1.1 204 No Content\r\n\r\n" {
		t.Fatalf("AppendResponse(204) = %q", out)
	}
	if got := string(AppendContinue(nil)); got != "HTTP/1.1 100 Continue\r\n\r\n" {
		t.Fatalf("AppendContinue = %q", got)
	}
	if got := string(AppendHeaderBytes(nil, "Mcp-Session-Id", []byte("abc"))); got != "Mcp-Session-Id: abc\r\n" {
		t.Fatalf("AppendHeaderBytes = %q", got)
	}
	if got := string(AppendContentLength(nil, 1234567)); got != "Content-Length: 1234567\r\n" {
		t.Fatalf("AppendContentLength = %q", got)
	}
	date := time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("X", 3600))
	if got := string(AppendDate(nil, date)); got != "Date: Wed, 04 Mar 2026 04:06:07 GMT\r\n" {
		t.Fatalf("AppendDate = %q", got)
	}
}

func readResponse(t *testing.T, out []byte) *http.Response {
	t.Helper()
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(out)), nil)
	if err != nil {
		t.Fatalf("net/http cannot read %q: %v", out, err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil || int64(len(b)) != resp.ContentLength && resp.ContentLength >= 0 {
		t.Fatalf("body %q, %v", b, err)
	}
	return resp
}

func TestResponseWritersRefuseSplitting(t *testing.T) {
	f := func(name string, write func()) {
		t.Helper()
		defer func() {
			t.Helper()
			if r, _ := recover().(string); !strings.HasPrefix(r, "BUG: ") {
				t.Fatalf("%s: want a BUG panic, got %q", name, r)
			}
		}()
		write()
	}
	f("CR in value", func() { AppendHeader(nil, "X", "a\r\nSet-Cookie: x") })
	f("LF in value", func() { AppendHeaderBytes(nil, "X", []byte("a\nb")) })
	f("colon in name", func() { AppendHeader(nil, "X:Y", "a") })
	f("extra header", func() { AppendResponse(nil, 200, "", nil, false, [2]string{"X", "a\rb"}) })
	f("204 with body", func() { AppendResponse(nil, 204, "", []byte("x"), false) })
	f("1xx", func() { AppendResponse(nil, 100, "", nil, false) })
	f("status", func() { AppendStatusLine(nil, 1000) })
	f("SSE id", func() { AppendSSEEvent(nil, []byte("1\n2"), "", nil) })
	f("SSE event", func() { AppendSSEEvent(nil, nil, "a\rb", nil) })
	f("SSE comment", func() { AppendSSEComment(nil, "a\nb") })
	f("SSE retry", func() { AppendSSERetry(nil, nil, -1) })
}

// AppendJSONHead writes what AppendStatusLine, AppendHeader(Content-Type)
// and AppendContentLength write.
func TestAppendJSONHead(t *testing.T) {
	for _, c := range []struct{ status, n int }{{200, 0}, {400, 7}, {403, 1234567}, {299, 12}} {
		want := AppendContentLength(AppendHeader(AppendStatusLine([]byte("x"), c.status), "Content-Type", "application/json"), c.n)
		if got := AppendJSONHead([]byte("x"), c.status, c.n); string(got) != string(want) {
			t.Errorf("AppendJSONHead(%d, %d) = %q, want %q", c.status, c.n, got, want)
		}
	}
}
