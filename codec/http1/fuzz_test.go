package http1

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/url"
	"testing"
)

// stricterOnPurpose are the refusals allowed where net/http accepts: the
// rules listed in the package doc and our smaller limits. Every other
// refusal must match a net/http refusal.
var stricterOnPurpose = map[*Error]bool{
	ErrHeaderTooLarge: true, ErrTooManyFields: true, ErrBodyTooLarge: true,
	ErrBareLF: true, ErrObsFold: true, ErrFieldNameWhitespace: true,
	ErrTarget: true, ErrVersion: true,
	ErrMissingHost: true, ErrInvalidHost: true, ErrTrailerDeclaration: true,
	ErrDuplicateContentLength: true, ErrLengthAndChunked: true, ErrTransferEncodingHTTP10: true,
	ErrChunkSize: true, ErrChunkLineTooLong: true, ErrChunkExtensions: true, ErrTrailerTooLarge: true,
}

var fuzzSeeds = []string{
	// valid
	"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET / HTTP/1.0\r\n\r\n",
	"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET http://a:8080/p?q HTTP/1.1\r\nHost: b\r\n\r\n",
	"GET /a%20b/c?x=%zz&y HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
	"POST /mcp HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
	"POST /mcp HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi",
	"POST /mcp HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nT: v\r\n\r\n",
	"POST /mcp HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
	pipelined[0].wire + pipelined[1].wire + pipelined[2].wire,
	// smuggling attempts and near misses
	"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG",
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n5c\r\nGPOST / HTTP/1.1\r\n\r\n0\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-encoding: cow\r\n\r\n0\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\tchunked\r\n\r\n0\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\x0bchunked\r\n\r\n0\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\n Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nX: y\r\n Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\ntransfer-encoding: CHUNKED\r\n\r\n0\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
	"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
	"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
	"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 05\r\n\r\nhello",
	"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5 \r\n\r\nhello",
	"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\nGET /admin HTTP/1.1\r\nHost: a\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000005\r\nhello\r\n0\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5 ;x\r\nhello\r\n0\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTrailer: Content-Length\r\n\r\n0\r\nContent-Length: 5\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\x00b\r\n\r\n",
	"GET / HTTP/1.1\r\nX: a\r\n\r\n",
	"GET /\x00 HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET /#f HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\n\r",
	"GET / HTTP/2.0\r\nHost: a\r\n\r\n",
	"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
	"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n",
	"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",
	// the indexed fields, in other cases, twice, with tabs
	"POST /mcp HTTP/1.1\r\nhOST: a\r\nmcp-session-id: s1\r\nMCP-SESSION-ID: s2\r\nAccept:\t*/*\t\r\nmcp-method: tools/call\r\nMcp-Name: e\r\n" +
		"Mcp-Protocol-Version: 2026-07-28\r\nContent-type: application/json\r\nOrigin: http://a\r\nlast-event-id: 7\r\nAuthorization: Bearer x\r\nContent-Length: 2\r\n\r\n{}",
}

// FuzzParseVsNetHTTP checks Parse against net/http.ReadRequest on the same
// bytes: whatever we accept, net/http accepts identically (method, target,
// path, query, host, fields, body, keep-alive and the bytes consumed);
// whatever net/http refuses, we refuse; we refuse more only by the rules in
// stricterOnPurpose. It also checks that trickling the bytes in one at a time
// gives the same answer as handing them over at once.
func FuzzParseVsNetHTTP(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Small limits, so the fuzzer reaches them.
		p := Parser{Limits: Limits{MaxHeaderBytes: 1 << 10, MaxBodyBytes: 1 << 10}}
		var req Request
		n, err := p.Parse(data, &req)
		if n2, req2, err2 := parseBytewise(&p, data); n2 != n || err2 != err || !bytes.Equal(req2.Body(), req.Body()) {
			t.Fatalf("whole: %d, %v, body %q; bytewise: %d, %v, body %q", n, err, req.Body(), n2, err2, req2.Body())
		}

		rd := bytes.NewReader(data)
		br := bufio.NewReaderSize(rd, 64<<10) // roomier than our limits
		hreq, herr := http.ReadRequest(br)
		var hbody []byte
		if herr == nil {
			hbody, herr = io.ReadAll(hreq.Body)
		}
		switch {
		case err != nil:
			if e, ok := err.(*Error); !ok || herr == nil && !stricterOnPurpose[e] {
				t.Fatalf("we refuse %q: %v; net/http accepts", data, err)
			}
		case n == 0:
			if herr == nil {
				t.Fatalf("we want more than %q; net/http accepts", data)
			}
		case herr != nil:
			t.Fatalf("we accept %q; net/http refuses: %v", data[:n], herr)
		default:
			consumed := len(data) - rd.Len() - br.Buffered()
			compareWithNetHTTP(t, data, n, consumed, &req, hreq, hbody)
		}
	})
}

func compareWithNetHTTP(t *testing.T, data []byte, n, consumed int, req *Request, hreq *http.Request, hbody []byte) {
	t.Helper()
	path, err := url.PathUnescape(string(req.Path()))
	if n != consumed || string(req.Method()) != hreq.Method || string(req.Target()) != hreq.RequestURI ||
		err != nil || path != hreq.URL.Path || string(req.Query()) != hreq.URL.RawQuery ||
		string(req.Host()) != hreq.Host || !bytes.Equal(req.Body(), hbody) || req.KeepAlive() == hreq.Close {
		t.Fatalf("on %q\nours:     n=%d %q %q path %q query %q host %q body %q keepAlive %v\nnet/http: n=%d %q %q path %q query %q host %q body %q close %v",
			data, n, req.Method(), req.Target(), path, req.Query(), req.Host(), req.Body(), req.KeepAlive(),
			consumed, hreq.Method, hreq.RequestURI, hreq.URL.Path, hreq.URL.RawQuery, hreq.Host, hbody, hreq.Close)
	}
	req.VisitHeaders(func(name, value []byte) bool {
		key := http.CanonicalHeaderKey(string(name))
		switch key {
		case "Content-Length", "Transfer-Encoding", "Trailer", "Host":
			return true // net/http moves these out of Header; Host is compared above
		}
		for _, v := range hreq.Header[key] {
			if v == string(value) {
				return true
			}
		}
		t.Fatalf("on %q: field %s: %q; net/http has %q", data, name, value, hreq.Header[key])
		return false
	})
	for _, name := range indexedNames {
		if got, want := req.Header(name), scanHeader(req, name); !bytes.Equal(got, want) || (got == nil) != (want == nil) {
			t.Fatalf("on %q: Header(%q) = %q; the fields say %q", data, name, got, want)
		}
	}
	// Only the head: a body may hold "\n " (trailer lines are refused
	// obs-fold by checkFieldLine, tested with the chunked seeds).
	head := data[:n]
	if i := bytes.Index(head, []byte("\r\n\r\n")); i >= 0 {
		head = head[:i+2]
	}
	if bytes.Contains(head, []byte("\n ")) {
		t.Fatalf("accepted obs-fold in %q", data[:n])
	}
}

// indexedNames are the names Header finds through the index, as the server
// spells them, and in other cases (which take the scan).
var indexedNames = []string{"Host", "Content-Type", "Accept", "Origin", "Authorization", "Last-Event-ID",
	"Mcp-Session-Id", "MCP-Protocol-Version", "Mcp-Method", "Mcp-Name", "mcp-session-id", "X-Other"}

// scanHeader is Header without the index: the first field called name.
func scanHeader(req *Request, name string) []byte {
	var v []byte
	req.VisitHeaders(func(n, value []byte) bool {
		if bytes.EqualFold(n, []byte(name)) {
			v = value
			return false
		}
		return true
	})
	return v
}
