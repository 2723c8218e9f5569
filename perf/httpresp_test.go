package perf

import (
	"bytes"
	"testing"
)

// TestParseResponse feeds each input in every prefix: a prefix must ask for more (n == 0)
// and the whole must frame exactly.
func TestParseResponse(t *testing.T) {
	f := func(in string, headOnly bool, status int, body, session string) {
		t.Helper()
		var scratch []byte
		for cut := 0; cut < len(in); cut++ {
			n, _, err := parseResponse([]byte(in[:cut]), &scratch, headOnly)
			if n != 0 || err != nil {
				if headOnly && n > 0 && n <= cut {
					continue
				}
				t.Fatalf("prefix %d of %q: n=%d err=%v", cut, in, n, err)
			}
		}
		two := in + in
		n, r, err := parseResponse([]byte(two), &scratch, headOnly)
		if err != nil || r.status != status || string(r.body) != body || string(r.session) != session {
			t.Fatalf("parse %q: n=%d status=%d body=%q session=%q err=%v", in, n, r.status, r.body, r.session, err)
		}
		if !headOnly && n != len(in) {
			t.Fatalf("parse %q consumed %d of %d", in, n, len(in))
		}
	}
	f("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\nhello", false, 200, "hello", "")
	f("HTTP/1.1 200 OK\r\ncontent-length: 2\r\nmcp-session-id: abc\r\n\r\n{}", false, 200, "{}", "abc")
	f("HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n", false, 202, "", "")
	f("HTTP/1.1 204 No Content\r\n\r\n", false, 204, "", "")
	f("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n", false, 200, "hello world", "")
	f("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n", false, 200, "0123456789", "")
	f("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n", true, 200, "", "")
}

func TestParseResponseErrors(t *testing.T) {
	f := func(in string) {
		t.Helper()
		var scratch []byte
		if _, _, err := parseResponse([]byte(in), &scratch, false); err == nil {
			t.Fatalf("parse %q: no error", in)
		}
	}
	f("HTTP/1.1 200 OK\r\n\r\n")
	f("HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n")
	f("SMTP 200\r\n\r\n")
	f("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n")
	f("HTTP/1.1 200 OK\r\nContent-Length: 999999999\r\n\r\n")
	f("HTTP/1.1 200 OK\r\nbad header\r\n\r\n")
	f("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
	f("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY")
	f("HTTP/1.1 200 OK\r\n" + string(bytes.Repeat([]byte("a"), maxResponseHead)))
}
