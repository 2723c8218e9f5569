package perf

import (
	"bytes"
	"errors"
)

// Limits of the HTTP response framer. Answers to echo calls are small; anything beyond
// these is a broken server, reported as an error instead of buffered.
const (
	// maxResponseHead bounds the status line plus headers.
	maxResponseHead = 16 << 10
	// maxResponseBody bounds one response body (Content-Length or all chunks).
	maxResponseBody = 16 << 20
)

var (
	errResponseHead   = errors.New("malformed HTTP response head")
	errResponseBody   = errors.New("malformed or oversized HTTP response body")
	errResponseFramed = errors.New("HTTP response without Content-Length or chunked encoding")
)

// response is one framed HTTP/1.1 response. Its slices point into the input (or into the
// de-chunking scratch) and die when the caller consumes the input.
type response struct {
	status     int
	body       []byte
	session    []byte
	retryAfter []byte // the Retry-After value, as sent
	chunked    bool
}

var (
	crlfcrlf          = []byte("\r\n\r\n")
	hdrContentLength  = []byte("Content-Length")
	hdrTransferEncode = []byte("Transfer-Encoding")
	hdrSessionID      = []byte("Mcp-Session-Id")
	hdrRetryAfter     = []byte("Retry-After")
	tokChunked        = []byte("chunked")
)

// parseResponse frames the response at the start of b. n is 0 when b does not hold all of
// it yet. With headOnly a chunked response returns after its head: that is a GET stream
// which stays open, and its events are not waited for. De-chunked bodies are assembled in
// *scratch, which is reused across calls.
func parseResponse(b []byte, scratch *[]byte, headOnly bool) (n int, r response, err error) {
	end := bytes.Index(b, crlfcrlf)
	if end < 0 {
		if len(b) > maxResponseHead {
			return 0, r, errResponseHead
		}
		return 0, r, nil
	}
	head := b[:end]
	n = end + len(crlfcrlf)
	if len(head) < 12 || !bytes.HasPrefix(head, []byte("HTTP/1.")) || head[8] != ' ' {
		return 0, r, errResponseHead
	}
	for _, c := range head[9:12] {
		if c < '0' || c > '9' {
			return 0, r, errResponseHead
		}
		r.status = r.status*10 + int(c-'0')
	}
	contentLength := -1
	line := head
	for {
		i := bytes.Index(line, []byte("\r\n"))
		if i < 0 {
			break
		}
		line = line[i+2:]
		h := line
		if j := bytes.Index(h, []byte("\r\n")); j >= 0 {
			h = h[:j]
		}
		colon := bytes.IndexByte(h, ':')
		if colon <= 0 {
			return 0, r, errResponseHead
		}
		name, value := h[:colon], bytes.TrimSpace(h[colon+1:])
		switch {
		case bytes.EqualFold(name, hdrContentLength):
			if contentLength, err = parseLength(value); err != nil {
				return 0, r, err
			}
		case bytes.EqualFold(name, hdrTransferEncode):
			r.chunked = bytes.Contains(value, tokChunked)
		case bytes.EqualFold(name, hdrSessionID):
			r.session = value
		case bytes.EqualFold(name, hdrRetryAfter):
			r.retryAfter = value
		}
	}
	switch {
	case r.status < 200 || r.status == 204 || r.status == 304:
		return n, r, nil
	case r.chunked && headOnly:
		return n, r, nil
	case r.chunked:
		m, body, err := dechunk(b[n:], (*scratch)[:0])
		*scratch = body
		if m == 0 || err != nil {
			return 0, r, err
		}
		r.body = body
		return n + m, r, nil
	case contentLength < 0:
		return 0, r, errResponseFramed
	case len(b)-n < contentLength:
		return 0, r, nil
	}
	r.body = b[n : n+contentLength]
	return n + contentLength, r, nil
}

func parseLength(v []byte) (int, error) {
	if len(v) == 0 || len(v) > 9 {
		return 0, errResponseHead
	}
	n := 0
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, errResponseHead
		}
		n = n*10 + int(c-'0')
	}
	if n > maxResponseBody {
		return 0, errResponseBody
	}
	return n, nil
}

// dechunk decodes a chunked body (no trailers expected, but they are skipped) from b into
// dst. m is 0 while the body is incomplete.
func dechunk(b, dst []byte) (m int, body []byte, err error) {
	for {
		i := bytes.Index(b[m:], []byte("\r\n"))
		if i < 0 {
			return 0, dst, nil
		}
		size := 0
		digits := 0
		for _, c := range b[m : m+i] {
			d := hexDigit(c)
			if d < 0 {
				break // a chunk extension starts
			}
			size = size<<4 | d
			digits++
			if size > maxResponseBody {
				return 0, dst, errResponseBody
			}
		}
		if digits == 0 {
			return 0, dst, errResponseBody
		}
		m += i + 2
		if size == 0 {
			// Trailer section: header lines until an empty line.
			for {
				j := bytes.Index(b[m:], []byte("\r\n"))
				if j < 0 {
					return 0, dst, nil
				}
				m += j + 2
				if j == 0 {
					return m, dst, nil
				}
			}
		}
		if len(b)-m < size+2 {
			return 0, dst, nil
		}
		if len(dst)+size > maxResponseBody {
			return 0, dst, errResponseBody
		}
		dst = append(dst, b[m:m+size]...)
		m += size
		if b[m] != '\r' || b[m+1] != '\n' {
			return 0, dst, errResponseBody
		}
		m += 2
	}
}

func hexDigit(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
