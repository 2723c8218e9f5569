package http1

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// pipelined is three requests back to back: a Content-Length POST, a
// chunked POST with an extension and a trailer, and a GET.
var pipelined = []struct {
	wire, method, path, query, body string
}{
	{
		wire: "POST /mcp HTTP/1.1\r\nHost: localhost:8080\r\nContent-Type: application/json\r\n" +
			"Content-Length: 40\r\n\r\n" + `{"jsonrpc":"2.0","id":1,"method":"ping"}`,
		method: "POST", path: "/mcp", body: `{"jsonrpc":"2.0","id":1,"method":"ping"}`,
	},
	{
		wire: "POST /mcp?s=1 HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n" +
			"5\r\nhello\r\n7;ext=\"v\"\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n",
		method: "POST", path: "/mcp", query: "s=1", body: "hello, world",
	},
	{
		wire:   "GET /mcp HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n",
		method: "GET", path: "/mcp",
	},
}

// TestParseEverySplit plays the engine: bytes arrive in pieces, unconsumed
// bytes stay buffered, Parse runs after each piece until it needs more. It
// asserts "need more" exactly until a request is complete, HeaderComplete
// exactly when its header block is in, and exact requests after.
func TestParseEverySplit(t *testing.T) {
	var all []byte
	var ends, headEnds []int
	for _, pr := range pipelined {
		headEnds = append(headEnds, len(all)+strings.Index(pr.wire, "\r\n\r\n")+4)
		all = append(all, pr.wire...)
		ends = append(ends, len(all))
	}
	check := func(cuts ...int) {
		t.Helper()
		var p Parser
		var req Request
		var in []byte
		done, consumed, prev := 0, 0, 0
		for _, cut := range append(cuts, len(all)) {
			in = append(in, all[prev:cut]...)
			prev = cut
			for {
				n, err := p.Parse(in, &req)
				if err != nil {
					t.Fatalf("cuts %v: request %d: %v", cuts, done, err)
				}
				if n == 0 {
					if done < len(ends) && ends[done] <= cut {
						t.Fatalf("cuts %v: request %d complete at %d but Parse wants more", cuts, done, cut)
					}
					if done < len(ends) && req.HeaderComplete() != (headEnds[done] <= cut) {
						t.Fatalf("cuts %v: request %d: HeaderComplete=%v with %d of %d header bytes",
							cuts, done, req.HeaderComplete(), cut-consumed, headEnds[done]-consumed)
					}
					break
				}
				if done >= len(ends) || consumed+n != ends[done] {
					t.Fatalf("cuts %v: request %d: n=%d, want end %d", cuts, done, n, ends)
				}
				// Clobber the consumed bytes: the Request must own its copies.
				for i := range in[:n] {
					in[i] = 'X'
				}
				checkRequest(t, &req, pipelined[done].method, pipelined[done].path, pipelined[done].query, pipelined[done].body)
				in = append(in[:0:0], in[n:]...)
				consumed += n
				done++
			}
		}
		if done != len(pipelined) || len(in) != 0 {
			t.Fatalf("cuts %v: parsed %d requests, %d bytes left", cuts, done, len(in))
		}
	}
	check()
	bytewise := make([]int, len(all))
	for i := range bytewise {
		bytewise[i] = i
	}
	check(bytewise...)
	for i := 0; i <= len(all); i++ {
		check(i)
	}
	// Every pair of cuts, sampled so the race detector build stays fast.
	step := 1
	if testing.Short() || raceEnabled {
		step = 7
	}
	for i := 0; i <= len(all); i += step {
		for j := i; j <= len(all); j++ {
			check(i, j)
		}
	}
}

func checkRequest(t *testing.T, req *Request, method, path, query, body string) {
	t.Helper()
	if string(req.Method()) != method || string(req.Path()) != path ||
		string(req.Query()) != query || string(req.Body()) != body {
		t.Fatalf("got %q %q ? %q body %q; want %q %q ? %q body %q",
			req.Method(), req.Path(), req.Query(), req.Body(), method, path, query, body)
	}
}

// parseBytewise feeds in one byte at a time and returns the first answer
// that is not "need more".
func parseBytewise(p *Parser, in []byte) (int, *Request, error) {
	var req Request
	for i := 0; i <= len(in); i++ {
		if n, err := p.Parse(in[:i], &req); n > 0 || err != nil {
			return n, &req, err
		}
	}
	return 0, &req, nil
}

func TestParseErrors(t *testing.T) {
	f := func(p Parser, in string, want *Error) {
		t.Helper()
		var req Request
		n, err := p.Parse([]byte(in), &req)
		if err != want || n != 0 {
			t.Fatalf("Parse(%q) = %d, %v; want %v", in, n, err, want)
		}
		// The same answer when the bytes trickle in.
		if n, _, err := parseBytewise(&p, []byte(in)); err != want || n != 0 {
			t.Fatalf("bytewise Parse(%q) = %d, %v; want %v", in, n, err, want)
		}
	}
	var p Parser
	const post = "POST /mcp HTTP/1.1\r\nHost: a\r\n"

	// 431
	f(p, "GET / HTTP/1.1\r\nHost: a\r\nX-Big: "+strings.Repeat("a", DefaultMaxHeaderBytes), ErrHeaderTooLarge)
	f(p, strings.Repeat("A", DefaultMaxHeaderBytes), ErrHeaderTooLarge) // no request line end at all
	f(Parser{Limits: Limits{MaxHeaderBytes: 64}}, "GET / HTTP/1.1\r\nHost: a\r\nX: "+strings.Repeat("b", 40)+"\r\n\r\n", ErrHeaderTooLarge)
	f(p, "GET / HTTP/1.1\r\nHost: a\r\n"+strings.Repeat("X: y\r\n", MaxHeaderFields)+"\r\n", ErrTooManyFields)

	// 413, before the body arrives
	f(p, post+"Content-Length: 4194305\r\n\r\n", ErrBodyTooLarge)
	f(p, post+"Content-Length: 99999999999999999999999999\r\n\r\n", ErrBodyTooLarge)
	small := Parser{Limits: Limits{MaxBodyBytes: 10}}
	f(small, post+"Content-Length: 11\r\n\r\n", ErrBodyTooLarge)
	f(small, post+"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n", ErrBodyTooLarge)
	f(small, post+"Transfer-Encoding: chunked\r\n\r\nb\r\n", ErrBodyTooLarge)
	f(p, post+"Transfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n", ErrBodyTooLarge)

	// Framing ambiguities
	f(p, post+"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", ErrLengthAndChunked)
	f(p, post+"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", ErrLengthAndChunked)
	f(p, post+"Content-Length: 3\r\nContent-Length: 5\r\n\r\nabcde", ErrDuplicateContentLength)
	f(p, post+"Content-Length: 3\r\ncontent-length: 3\r\n\r\nabc", ErrDuplicateContentLength)
	f(p, post+"Content-Length: 3, 3\r\n\r\nabc", ErrContentLength)
	f(p, post+"Content-Length: +3\r\n\r\nabc", ErrContentLength)
	f(p, post+"Content-Length: -1\r\n\r\n", ErrContentLength)
	f(p, post+"Content-Length: 0x3\r\n\r\nabc", ErrContentLength)
	f(p, post+"Content-Length:\r\n\r\n", ErrContentLength)
	f(p, post+"Transfer-Encoding: gzip\r\n\r\n", ErrTransferEncoding)
	f(p, post+"Transfer-Encoding: gzip, chunked\r\n\r\n", ErrTransferEncoding)
	f(p, post+"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", ErrTransferEncoding)
	f(p, post+"Transfer-Encoding: xchunked\r\n\r\n", ErrTransferEncoding)
	f(p, "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", ErrTransferEncodingHTTP10)
	f(p, post+"Trailer: Content-Length\r\nTransfer-Encoding: chunked\r\n\r\n", ErrTrailerDeclaration)

	// Line ends and field syntax
	f(p, "GET / HTTP/1.1\nHost: a\r\n\r\n", ErrBareLF)
	f(p, "GET / HTTP/1.1\r\nHost: a\n\r\n", ErrBareLF)
	f(p, "GET / HTTP/1.1\r\nHost: a\r\n\n", ErrBareLF)
	f(p, "GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", ErrFieldValue) // bare CR
	f(p, "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n", ErrObsFold)
	f(p, "GET / HTTP/1.1\r\n Host: a\r\n\r\n", ErrObsFold)
	f(p, "GET / HTTP/1.1\r\nHost : a\r\n\r\n", ErrFieldNameWhitespace)
	f(p, "GET / HTTP/1.1\r\nHost: a\r\nX(A: b\r\n\r\n", ErrFieldName)
	f(p, "GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", ErrFieldName)
	f(p, "GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n", ErrFieldName)
	f(p, "GET / HTTP/1.1\r\nHost: a\r\nX: b\x00c\r\n\r\n", ErrFieldValue)
	f(p, "GET / HTTP/1.1\r\nHost: a\r\nX: b\x7fc\r\n\r\n", ErrFieldValue)

	// Host
	f(p, "GET / HTTP/1.1\r\nX: y\r\n\r\n", ErrMissingHost)
	f(p, "GET / HTTP/1.1\r\n\r\n", ErrMissingHost)
	f(p, "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", ErrDuplicateHost)
	f(p, "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", ErrInvalidHost)
	f(p, "GET / HTTP/1.1\r\nHost: user@a\r\n\r\n", ErrInvalidHost)
	f(p, "GET / HTTP/1.1\r\nHost: a:80x\r\n\r\n", ErrInvalidHost)
	f(p, "GET / HTTP/1.1\r\nHost: :80\r\n\r\n", ErrInvalidHost)

	// Request line
	f(p, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", ErrMethod) // a TLS hello fails at once
	f(p, "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", ErrMethod)
	f(p, " GET / HTTP/1.1\r\nHost: a\r\n\r\n", ErrMethod)
	f(p, "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", ErrMethod)
	f(p, "GET\r\n\r\n", ErrMethod)
	f(p, "GET /\r\nHost: a\r\n\r\n", ErrRequestLine)
	f(p, "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", ErrRequestLine)
	f(p, "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", ErrRequestLine)
	f(p, "GET / http/1.1\r\nHost: a\r\n\r\n", ErrRequestLine)
	f(p, "GET / HTTP/2.0\r\nHost: a\r\n\r\n", ErrVersion)
	f(p, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", ErrVersion)
	f(p, "GET / HTTP/1.2\r\nHost: a\r\n\r\n", ErrVersion)
	f(p, "GET / HTTP/0.9\r\nHost: a\r\n\r\n", ErrVersion)
	f(p, "GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n", ErrTarget)
	f(p, "GET /a%zz HTTP/1.1\r\nHost: a\r\n\r\n", ErrTarget)
	f(p, "GET /a% HTTP/1.1\r\nHost: a\r\n\r\n", ErrTarget)
	f(p, "GET /\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", ErrTarget)
	f(p, "GET /a|b HTTP/1.1\r\nHost: a\r\n\r\n", ErrTarget)
	f(p, "GET /?a\x01 HTTP/1.1\r\nHost: a\r\n\r\n", ErrTarget)
	f(p, "GET * HTTP/1.1\r\nHost: a\r\n\r\n", ErrTarget)
	f(p, "CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n", ErrTarget)
	f(p, "GET ftp://a/ HTTP/1.1\r\nHost: a\r\n\r\n", ErrTarget)
	f(p, "GET http://u@a/ HTTP/1.1\r\nHost: a\r\n\r\n", ErrTarget)
	f(p, "GET http://[::1]/ HTTP/1.1\r\nHost: a\r\n\r\n", ErrTarget)
	f(p, "GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n", ErrTarget)

	// Chunked framing
	const chunked = post + "Transfer-Encoding: chunked\r\n\r\n"
	f(p, chunked+"5\r\nhelloX\r\n", ErrChunkData)
	f(p, chunked+"5\r\nhello\n", ErrChunkData)
	f(p, chunked+"g\r\n", ErrChunkSize)
	f(p, chunked+"\r\n", ErrChunkSize)
	f(p, chunked+"5 \r\nhello\r\n0\r\n\r\n", ErrChunkSize)
	f(p, chunked+"0x5\r\nhello\r\n0\r\n\r\n", ErrChunkSize)
	f(p, chunked+"-5\r\n", ErrChunkSize)
	f(p, chunked+"00000000000000005\r\nhello\r\n0\r\n\r\n", ErrChunkSize)
	f(p, chunked+"5;a\x01\r\nhello\r\n0\r\n\r\n", ErrChunkSize)
	f(p, chunked+"5;a\rb\r\nhello\r\n0\r\n\r\n", ErrChunkSize)
	f(p, chunked+"5\nhello\r\n0\r\n\r\n", ErrBareLF)
	f(p, chunked+"5;"+strings.Repeat("e", MaxChunkLineBytes), ErrChunkLineTooLong)
	f(p, chunked+strings.Repeat("1;"+strings.Repeat("e", 200)+"\r\nx\r\n", 21), ErrChunkExtensions)
	f(p, chunked+"0\r\nX: "+strings.Repeat("t", MaxTrailerBytes)+"\r\n\r\n", ErrTrailerTooLarge)
	f(p, chunked+"0\r\n"+strings.Repeat("X: t\r\n", MaxTrailerBytes/6+1)+"\r\n", ErrTrailerTooLarge)
	f(p, chunked+"0\r\nX : t\r\n\r\n", ErrFieldNameWhitespace)
	f(p, chunked+"0\r\n t\r\n\r\n", ErrObsFold)
	f(p, chunked+"0\r\nX: t\n\r\n", ErrBareLF)
	f(p, chunked+"0\r\n\n", ErrBareLF)
}

func TestParseAccepts(t *testing.T) {
	type want struct {
		method, path, query, body string
		keepAlive, expect         bool
	}
	f := func(in string, w want) {
		t.Helper()
		var p Parser
		var req Request
		n, err := p.Parse([]byte(in+"GET /next"), &req)
		if err != nil || n != len(in) {
			t.Fatalf("Parse(%q) = %d, %v; want %d", in, n, err, len(in))
		}
		checkRequest(t, &req, w.method, w.path, w.query, w.body)
		if req.KeepAlive() != w.keepAlive || req.ExpectContinue() != w.expect || !req.HeaderComplete() {
			t.Fatalf("Parse(%q): keepAlive=%v expect=%v; want %v %v", in, req.KeepAlive(), req.ExpectContinue(), w.keepAlive, w.expect)
		}
		if n, req2, err := parseBytewise(&p, []byte(in)); n != len(in) || err != nil || !bytes.Equal(req2.Body(), req.Body()) {
			t.Fatalf("bytewise Parse(%q) = %d, %v, body %q", in, n, err, req2.Body())
		}
	}
	// Keep-alive: HTTP/1.1 by default, HTTP/1.0 only when asked.
	f("GET / HTTP/1.1\r\nHost: a\r\n\r\n", want{method: "GET", path: "/", keepAlive: true})
	f("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", want{method: "GET", path: "/"})
	f("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, CLOSE\r\n\r\n", want{method: "GET", path: "/"})
	f("GET / HTTP/1.1\r\nHost: a\r\nConnection: x\r\nConnection: close\r\n\r\n", want{method: "GET", path: "/"})
	f("GET / HTTP/1.0\r\n\r\n", want{method: "GET", path: "/"})
	f("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", want{method: "GET", path: "/", keepAlive: true})
	f("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", want{method: "GET", path: "/"})
	f("POST /x HTTP/1.0\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nhi",
		want{method: "POST", path: "/x", body: "hi", keepAlive: true})
	// Expect is ignored in HTTP/1.0 (RFC 9110 §10.1.1).
	f("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx", want{method: "POST", path: "/", body: "x"})
	f("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\nx",
		want{method: "POST", path: "/", body: "x", keepAlive: true, expect: true})
	// Query split and target forms.
	f("GET /mcp?a=1&b=%2F HTTP/1.1\r\nHost: a\r\n\r\n", want{method: "GET", path: "/mcp", query: "a=1&b=%2F", keepAlive: true})
	f("GET /mcp? HTTP/1.1\r\nHost: a\r\n\r\n", want{method: "GET", path: "/mcp", keepAlive: true})
	f("GET /a/b;c=d/%7Euser/@x:y HTTP/1.1\r\nHost: a\r\n\r\n", want{method: "GET", path: "/a/b;c=d/%7Euser/@x:y", keepAlive: true})
	f("GET /?q=a|b{c}[d]%zz HTTP/1.1\r\nHost: a\r\n\r\n", want{method: "GET", path: "/", query: "q=a|b{c}[d]%zz", keepAlive: true})
	f("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", want{method: "OPTIONS", path: "*", keepAlive: true})
	f("GET HTTP://Example.com:8080/mcp?x HTTP/1.1\r\nHost: other\r\n\r\n", want{method: "GET", path: "/mcp", query: "x", keepAlive: true})
	f("GET https://example.com?x HTTP/1.1\r\nHost: example.com\r\n\r\n", want{method: "GET", query: "x", keepAlive: true})
	f("DELETE /mcp HTTP/1.1\r\nHost: [::1]:8080\r\nMcp-Session-Id: abc\r\n\r\n", want{method: "DELETE", path: "/mcp", keepAlive: true})
	// Empty Host is allowed (RFC 9112 §3.2: target without authority).
	f("GET / HTTP/1.1\r\nHost:\r\n\r\n", want{method: "GET", path: "/", keepAlive: true})
	// Bodies: Content-Length with OWS and leading zeros, chunked with hex
	// case, extensions and trailers, an empty chunked body.
	f("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:  005 \r\n\r\nhello", want{method: "POST", path: "/", body: "hello", keepAlive: true})
	f("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", want{method: "POST", path: "/", keepAlive: true})
	f("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\nA\r\n0123456789\r\na;x=1;y\r\nabcdefghij\r\n0;z\r\nX-T: 1\r\nY-T: 2\r\n\r\n",
		want{method: "POST", path: "/", body: "0123456789abcdefghij", keepAlive: true})
	f("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", want{method: "POST", path: "/", keepAlive: true})
	f("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0000000000000001\r\nx\r\n0\r\n\r\n",
		want{method: "POST", path: "/", body: "x", keepAlive: true})
	// Field values may carry obs-text and tabs.
	f("GET / HTTP/1.1\r\nHost: a\r\nX: \tcaf\xc3\xa9 au lait\t \r\n\r\n", want{method: "GET", path: "/", keepAlive: true})
}

func TestExpectContinue(t *testing.T) {
	var p Parser
	var req Request
	head := "POST /mcp HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"
	for _, in := range []string{head[:len(head)-1], head, head + "hell"} {
		n, err := p.Parse([]byte(in), &req)
		complete := len(in) >= len(head)
		if n != 0 || err != nil || req.HeaderComplete() != complete || req.ExpectContinue() != complete {
			t.Fatalf("Parse(%q) = %d, %v, HeaderComplete=%v, ExpectContinue=%v", in, n, err, req.HeaderComplete(), req.ExpectContinue())
		}
	}
	if got := string(req.Method()) + " " + string(req.Path()); got != "POST /mcp" {
		t.Fatalf("during the body: %q", got)
	}
	n, err := p.Parse([]byte(head+"hello"), &req)
	if n != len(head)+5 || err != nil || string(req.Body()) != "hello" {
		t.Fatalf("Parse = %d, %v, body %q", n, err, req.Body())
	}
}

func TestHeaderLookup(t *testing.T) {
	var p Parser
	var req Request
	in := "POST /mcp HTTP/1.1\r\nhost: h\r\nContent-Type:application/json  \r\nACCEPT: application/json\r\n" +
		"accept: text/event-stream\r\nMcp-Session-Id: \t s1\r\nX-Empty:\r\n\r\n"
	if n, err := p.Parse([]byte(in), &req); n != len(in) || err != nil {
		t.Fatalf("Parse = %d, %v", n, err)
	}
	f := func(name, want string) {
		t.Helper()
		if got := req.Header(name); string(got) != want {
			t.Fatalf("Header(%q) = %q; want %q", name, got, want)
		}
	}
	f("Content-Type", "application/json")
	f("content-type", "application/json")
	f("CONTENT-TYPE", "application/json")
	f("Host", "h")
	f("mcp-session-id", "s1")
	f("Accept", "application/json")
	if v := req.Header("X-Empty"); v == nil || len(v) != 0 {
		t.Fatalf("Header(X-Empty) = %#v; want empty, not nil", v)
	}
	if v := req.Header("Absent"); v != nil {
		t.Fatalf("Header(Absent) = %q; want nil", v)
	}
	if v := req.Header("Content-Typ"); v != nil {
		t.Fatalf("Header(Content-Typ) = %q; want nil", v)
	}
	var accepts []string
	req.HeaderValues("Accept", func(v []byte) bool { accepts = append(accepts, string(v)); return true })
	if strings.Join(accepts, "|") != "application/json|text/event-stream" {
		t.Fatalf("HeaderValues(Accept) = %q", accepts)
	}
	accepts = accepts[:0]
	req.HeaderValues("accept", func(v []byte) bool { accepts = append(accepts, string(v)); return false })
	if len(accepts) != 1 {
		t.Fatalf("HeaderValues did not stop: %q", accepts)
	}
	var names []string
	req.VisitHeaders(func(name, value []byte) bool { names = append(names, string(name)); return true })
	if strings.Join(names, ",") != "host,Content-Type,ACCEPT,accept,Mcp-Session-Id,X-Empty" {
		t.Fatalf("VisitHeaders names = %q", names)
	}
	if string(req.Host()) != "h" || req.ProtoMinor() != 1 || string(req.Target()) != "/mcp" {
		t.Fatalf("Host=%q ProtoMinor=%d Target=%q", req.Host(), req.ProtoMinor(), req.Target())
	}
}

func TestAbsoluteFormHost(t *testing.T) {
	var p Parser
	var req Request
	in := "GET http://example.com:81/mcp HTTP/1.1\r\nHost: other\r\n\r\n"
	if n, err := p.Parse([]byte(in), &req); n != len(in) || err != nil {
		t.Fatalf("Parse = %d, %v", n, err)
	}
	if string(req.Host()) != "example.com:81" || string(req.Header("Host")) != "other" {
		t.Fatalf("Host() = %q, Header(Host) = %q", req.Host(), req.Header("Host"))
	}
	// The next request on the connection forgets the authority.
	in = "GET / HTTP/1.1\r\nHost: other\r\n\r\n"
	if n, err := p.Parse([]byte(in), &req); n != len(in) || err != nil || string(req.Host()) != "other" {
		t.Fatalf("Parse = %d, %v, Host() = %q", n, err, req.Host())
	}
}

func TestResetDropsLargeBody(t *testing.T) {
	p := Parser{Limits: Limits{MaxBodyBytes: 1 << 20}}
	var req Request
	body := strings.Repeat("x", 100<<10)
	in := "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	if n, err := p.Parse([]byte(in), &req); n != len(in) || err != nil {
		t.Fatalf("Parse = %d, %v", n, err)
	}
	req.Reset()
	if req.BodyHeld() != 0 {
		t.Fatalf("Reset kept a %d-byte body buffer", req.BodyHeld())
	}
}

func TestParseShorterBufferPanics(t *testing.T) {
	var p Parser
	var req Request
	if n, err := p.Parse([]byte("GET / HTTP/1.1\r\n"), &req); n != 0 || err != nil {
		t.Fatalf("Parse = %d, %v", n, err)
	}
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(r.(string), "BUG: ") {
			t.Fatalf("recover() = %v; want a BUG panic", r)
		}
	}()
	p.Parse([]byte("GET"), &req)
}

func TestParseAfterErrorStartsAfresh(t *testing.T) {
	var p Parser
	var req Request
	if _, err := p.Parse([]byte("GET / HTTP/1.1\nHost: a\r\n\r\n"), &req); err != ErrBareLF {
		t.Fatalf("err = %v", err)
	}
	in := "GET /ok HTTP/1.1\r\nHost: a\r\n\r\n"
	if n, err := p.Parse([]byte(in), &req); n != len(in) || err != nil || string(req.Path()) != "/ok" {
		t.Fatalf("Parse = %d, %v, %q", n, err, req.Path())
	}
}

// mcpPost is a typical Streamable HTTP POST: the headers an MCP client sends
// and a 230-byte tools/call body.
func mcpPost() []byte {
	const prefix = `{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"echo","arguments":{"text":"`
	const suffix = `"}}}`
	body := prefix + strings.Repeat("x", 230-len(prefix)-len(suffix)) + suffix
	return []byte("POST /mcp HTTP/1.1\r\n" +
		"Host: localhost:8080\r\n" +
		"Content-Type: application/json\r\n" +
		"Accept: application/json, text/event-stream\r\n" +
		"Mcp-Session-Id: 5f0c2b0a6a354d1e9b8e2f6f1b0b7c11\r\n" +
		"MCP-Protocol-Version: 2025-11-25\r\n" +
		"Content-Length: 230\r\n\r\n" + body)
}

// mcpPostChunked is mcpPost with its body sent as three chunks.
func mcpPostChunked() []byte {
	post := mcpPost()
	head, body, _ := bytes.Cut(post, []byte("\r\n\r\n"))
	head = bytes.Replace(head, []byte("Content-Length: 230"), []byte("Transfer-Encoding: chunked"), 1)
	out := append(head, "\r\n\r\n"...)
	for len(body) > 0 {
		n := min(len(body), 100)
		out = strconv.AppendInt(out, int64(n), 16)
		out = append(out, "\r\n"...)
		out = append(out, body[:n]...)
		out = append(out, "\r\n"...)
		body = body[n:]
	}
	return append(out, "0\r\n\r\n"...)
}

func TestMCPPost(t *testing.T) {
	for _, in := range [][]byte{mcpPost(), mcpPostChunked()} {
		var p Parser
		var req Request
		if n, err := p.Parse(in, &req); n != len(in) || err != nil || len(req.Body()) != 230 ||
			string(req.Header("mcp-protocol-version")) != "2025-11-25" {
			t.Fatalf("Parse = %d, %v, body %d bytes", n, err, len(req.Body()))
		}
	}
}

func TestLimitBoundaries(t *testing.T) {
	p := Parser{Limits: Limits{MaxHeaderBytes: 64, MaxBodyBytes: 10}}
	f := func(in string, want error) {
		t.Helper()
		var req Request
		n, err := p.Parse([]byte(in), &req)
		if err != want || (err == nil) != (n == len(in)) {
			t.Fatalf("Parse(%q) = %d, %v; want %v", in, n, err, want)
		}
	}
	head := func(size int) string {
		h := "GET / HTTP/1.1\r\nHost: a\r\nX: "
		return h + strings.Repeat("x", size-len(h)-4) + "\r\n\r\n"
	}
	f(head(64), nil)
	f(head(65), ErrHeaderTooLarge)
	const post = "POST / HTTP/1.1\r\nHost: a\r\n"
	f(post+"Content-Length: 10\r\n\r\n0123456789", nil)
	f(post+"Content-Length: 11\r\n\r\n0123456789X", ErrBodyTooLarge)
	f(post+"Transfer-Encoding: chunked\r\n\r\n5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n", nil)
	f(post+"Transfer-Encoding: chunked\r\n\r\n5\r\n01234\r\n6\r\n56789X\r\n0\r\n\r\n", ErrBodyTooLarge)
}

// Header finds the indexed fields (any case, the first of two, values
// trimmed, tabs inside kept) as a scan of the fields does, and nil for a
// field that is absent, after a Reset too.
func TestHeaderIndex(t *testing.T) {
	in := "POST /mcp HTTP/1.1\r\nhost: a\r\nMCP-SESSION-ID: s1\r\nMcp-Session-Id: s2\r\nAccept: \tx\ty \t\r\n" +
		"X-Long-Value: 0123456789abcdef0123456789abcdef\r\nmcp-protocol-version:2026-07-28\r\nContent-Length: 0\r\n\r\n"
	var p Parser
	var req Request
	if n, err := p.Parse([]byte(in), &req); n != len(in) || err != nil {
		t.Fatalf("Parse = %d, %v", n, err)
	}
	for name, want := range map[string]string{
		"Host": "a", "Mcp-Session-Id": "s1", "Accept": "x\ty", "MCP-Protocol-Version": "2026-07-28",
		"X-Long-Value": "0123456789abcdef0123456789abcdef", "mcp-session-id": "s1",
	} {
		if got := req.Header(name); string(got) != want {
			t.Errorf("Header(%q) = %q, want %q", name, got, want)
		}
	}
	for _, name := range []string{"Origin", "Mcp-Method", "Mcp-Name", "Authorization", "Last-Event-ID", "Content-Type"} {
		if got := req.Header(name); got != nil {
			t.Errorf("Header(%q) = %q, want nil", name, got)
		}
	}
	in2 := "GET / HTTP/1.1\r\nHost: b\r\n\r\n"
	if n, err := p.Parse([]byte(in2), &req); n != len(in2) || err != nil {
		t.Fatalf("Parse = %d, %v", n, err)
	}
	if got := req.Header("Mcp-Session-Id"); got != nil {
		t.Errorf("after the next request, Header(Mcp-Session-Id) = %q, want nil", got)
	}
}

// A field value is checked 8 bytes at a time: a control byte or DEL at any
// position of a long value is refused, a tab anywhere is kept.
func TestFieldValueBytes(t *testing.T) {
	var p Parser
	for i := 0; i < 40; i++ {
		for _, c := range []byte{0, 0x01, 0x0b, '\r', '\n', 0x1f, 0x7f, '\t', 0x80, 0xff, ' '} {
			v := []byte("abcdefghijklmnopqrstuvwxyz0123456789ABCD")
			v[i] = c
			in := "GET / HTTP/1.1\r\nHost: a\r\nX: " + string(v) + "\r\n\r\n"
			var req Request
			_, err := p.Parse([]byte(in), &req)
			wantOK := c == '\t' || c >= 0x80 || c == ' '
			switch {
			case c == '\n':
				if err != ErrBareLF && err != ErrFieldValue {
					t.Errorf("LF at %d: %v", i, err)
				}
			case wantOK && err != nil:
				t.Errorf("byte %#x at %d refused: %v", c, i, err)
			case !wantOK && err != ErrFieldValue:
				t.Errorf("byte %#x at %d: %v, want ErrFieldValue", c, i, err)
			case wantOK:
				want := bytes.Trim(v, " \t")
				if got := req.Header("X"); !bytes.Equal(got, want) {
					t.Errorf("byte %#x at %d: value %q, want %q", c, i, got, want)
				}
			}
		}
	}
}

// The lowest byte ctlOrDel flags is the first control byte or DEL of the
// word (a borrow may flag later bytes, never earlier ones).
func TestCtlOrDelLowestIsFirst(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	interesting := []byte{0, '\t', '\r', '\n', 0x1f, 0x20, 0x21, 'a', 0x7e, 0x7f, 0x80, 0xff}
	for range 200_000 {
		var w [8]byte
		for i := range w {
			if rng.IntN(2) == 0 {
				w[i] = interesting[rng.IntN(len(interesting))]
			} else {
				w[i] = byte(rng.IntN(256))
			}
		}
		want := 8
		for i, c := range w {
			if c < 0x20 || c == 0x7f {
				want = i
				break
			}
		}
		m := ctlOrDel(binary.LittleEndian.Uint64(w[:])) & 0x8080808080808080
		got := bits.TrailingZeros64(m) >> 3
		if m == 0 {
			got = 8
		}
		if got != want {
			t.Fatalf("ctlOrDel(% x): first flagged byte %d, want %d", w, got, want)
		}
	}
}

// lettersOrDash flags exactly the ASCII letters and '-' of a word.
func TestLettersOrDash(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 200_000 {
		var w [8]byte
		for i := range w {
			w[i] = byte(rng.IntN(256))
			if rng.IntN(4) == 0 {
				w[i] = "-\r\x0dAZaz@[`{:"[rng.IntN(12)]
			}
		}
		m := lettersOrDash(binary.LittleEndian.Uint64(w[:]))
		for i, c := range w {
			want := c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
			if got := m>>(8*i+7)&1 == 1; got != want {
				t.Fatalf("lettersOrDash(% x): byte %d (%#x) flagged %v", w, i, c, got)
			}
			if m>>(8*i)&0x7f != 0 {
				t.Fatalf("lettersOrDash(% x): low bits set in byte %d", w, i)
			}
		}
	}
}
