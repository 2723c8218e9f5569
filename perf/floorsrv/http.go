package floorsrv

import (
	"bytes"
	"strconv"
	"sync/atomic"

	"github.com/panjf2000/gnet/v2"
)

// maxRequestHead bounds the request line plus headers; maxRequestBody bounds a body.
const (
	maxRequestHead = 16 << 10
	maxRequestBody = 4 << 20
)

// httpHandler answers Streamable HTTP requests with canned heads and bodies.
type httpHandler struct {
	gnet.BuiltinEventEngine
	booted   chan<- gnet.Engine
	sessions atomic.Uint64
}

var (
	crlfcrlf         = []byte("\r\n\r\n")
	hdrContentLength = []byte("content-length")
	headJSON         = []byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ")
	headSession      = []byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nMcp-Session-Id: floor-")
	headAccepted     = []byte("HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
	headEmpty        = []byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
	headNotAllowed   = []byte("HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, POST, DELETE\r\nContent-Length: 0\r\n\r\n")
	headBadRequest   = []byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
	headStream       = []byte("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n")
)

func (h *httpHandler) OnBoot(eng gnet.Engine) gnet.Action {
	h.booted <- eng
	return gnet.None
}

func (h *httpHandler) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	c.SetContext(&connState{})
	return nil, gnet.None
}

// OnTraffic answers every complete request (head and body) in order; a partial request
// stays in gnet's buffer until the rest arrives.
func (h *httpHandler) OnTraffic(c gnet.Conn) gnet.Action {
	st := c.Context().(*connState)
	buf, _ := c.Peek(-1)
	if st.stream {
		_, _ = c.Discard(len(buf)) // an open GET stream takes no requests
		return gnet.None
	}
	out := st.out[:0]
	used := 0
	action := gnet.None
	for !st.stream {
		n, ans, bad := h.request(buf[used:], out, st)
		if bad {
			out = append(ans, headBadRequest...)
			action = gnet.Close
			used = len(buf)
			break
		}
		if n == 0 {
			break
		}
		out = ans
		used += n
	}
	if st.stream {
		used = len(buf)
	}
	if used > 0 {
		_, _ = c.Discard(used)
	}
	if len(out) > 0 {
		_, _ = c.Write(out)
	}
	st.out = out
	return action
}

// request frames one request at the start of b and appends its answer to out. n is 0
// while the request is incomplete; bad reports a request that cannot be framed.
func (h *httpHandler) request(b, out []byte, st *connState) (n int, ans []byte, bad bool) {
	end := bytes.Index(b, crlfcrlf)
	if end < 0 {
		return 0, out, len(b) > maxRequestHead
	}
	head := b[:end]
	length, ok := contentLength(head)
	if !ok || length > maxRequestBody {
		return 0, out, true
	}
	n = end + len(crlfcrlf) + length
	if len(b) < n {
		return 0, out, false
	}
	body := b[end+len(crlfcrlf) : n]
	switch {
	case bytes.HasPrefix(head, []byte("POST ")):
		return n, h.post(out, body, st), false
	case bytes.HasPrefix(head, []byte("GET ")):
		st.stream = true
		return n, append(out, headStream...), false
	case bytes.HasPrefix(head, []byte("DELETE ")):
		return n, append(out, headEmpty...), false
	}
	return n, append(out, headNotAllowed...), false
}

// post answers a JSON-RPC message: 202 for a notification, a session for initialize.
func (h *httpHandler) post(out, body []byte, st *connState) []byte {
	var ok bool
	if st.body, ok = appendAnswer(st.body[:0], body); !ok {
		return append(out, headAccepted...)
	}
	if bytes.Contains(body, methodInit) {
		out = append(out, headSession...)
		out = strconv.AppendUint(out, h.sessions.Add(1), 10)
		out = append(out, "\r\nContent-Length: "...)
	} else {
		out = append(out, headJSON...)
	}
	out = strconv.AppendInt(out, int64(len(st.body)), 10)
	out = append(out, "\r\n\r\n"...)
	return append(out, st.body...)
}

// contentLength finds Content-Length in a request head (0 when absent).
func contentLength(head []byte) (int, bool) {
	for len(head) > 0 {
		i := bytes.Index(head, []byte("\r\n"))
		if i < 0 {
			return 0, true
		}
		head = head[i+2:]
		line := head
		if j := bytes.Index(line, []byte("\r\n")); j >= 0 {
			line = line[:j]
		}
		colon := bytes.IndexByte(line, ':')
		if colon != len(hdrContentLength) || !bytes.EqualFold(line[:colon], hdrContentLength) {
			continue
		}
		v := bytes.TrimSpace(line[colon+1:])
		if len(v) == 0 || len(v) > 9 {
			return 0, false
		}
		n := 0
		for _, c := range v {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	return 0, true
}
