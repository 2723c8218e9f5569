package http1

import (
	"bytes"
	"strconv"
)

// SSE over chunked transfer coding. Each event is exactly one chunk, so a
// proxy or client that flushes per chunk delivers whole events, and a write
// that is cut short by a closing connection never leaves half an event
// inside a chunk that looks complete.

// AppendSSEHead appends the head of a 200 text/event-stream response with
// chunked transfer coding, the extra headers and the blank line.
func AppendSSEHead(dst []byte, extra ...[2]string) []byte {
	dst = append(dst, "HTTP/1.1 200 OK\r\n"+
		"Content-Type: text/event-stream\r\n"+
		"Cache-Control: no-cache\r\n"+
		"Transfer-Encoding: chunked\r\n"...)
	for _, h := range extra {
		dst = AppendHeader(dst, h[0], h[1])
	}
	return append(dst, "\r\n"...)
}

// AppendSSEEvent appends one chunk holding one event: "id: <id>\n" if id is
// set, "event: <event>\n" if set, then data as "data: <line>\n" lines and the
// blank line. data is split at CRLF, CR and LF, the line ends of the SSE
// grammar, so a client joins the lines back with LF. JSON-RPC messages have
// no raw line breaks, so the usual case is one data line.
func AppendSSEEvent(dst []byte, id []byte, event string, data []byte) []byte {
	checkSSEField(id, event)
	lines, breakBytes := countLines(data)
	size := len(data) + len("data: \n\n") + (lines-1)*len("data: \n") - breakBytes
	if len(id) > 0 {
		size += len("id: \n") + len(id)
	}
	if event != "" {
		size += len("event: \n") + len(event)
	}
	dst = appendChunkSize(dst, size)
	dst = appendIDLine(dst, id)
	if event != "" {
		dst = append(dst, "event: "...)
		dst = append(dst, event...)
		dst = append(dst, '\n')
	}
	if lines == 1 {
		dst = append(dst, "data: "...)
		dst = append(dst, data...)
		return append(dst, "\n\n\r\n"...)
	}
	dst = appendDataLines(dst, data)
	return append(dst, "\n\r\n"...)
}

// AppendSSEComment appends one chunk holding ": <comment>\n\n", which
// clients ignore: a heartbeat that keeps proxies from timing the stream out.
func AppendSSEComment(dst []byte, comment string) []byte {
	if hasLineBreak(comment) {
		panic("BUG: http1: line break in an SSE comment")
	}
	dst = appendChunkSize(dst, len(": \n\n")+len(comment))
	dst = append(dst, ": "...)
	dst = append(dst, comment...)
	return append(dst, "\n\n\r\n"...)
}

// AppendSSERetry appends one chunk holding the priming event of SSE polling
// (SEP-1699): the event id, "retry: <retryMs>" and empty data. It sets the
// client's Last-Event-ID and reconnection delay before the server closes
// the stream.
func AppendSSERetry(dst []byte, id []byte, retryMs int) []byte {
	checkSSEField(id, "")
	if retryMs < 0 {
		panic("BUG: http1: negative SSE retry")
	}
	var digits [20]byte
	retry := strconv.AppendInt(digits[:0], int64(retryMs), 10)
	size := len("retry: \ndata: \n\n") + len(retry)
	if len(id) > 0 {
		size += len("id: \n") + len(id)
	}
	dst = appendChunkSize(dst, size)
	dst = appendIDLine(dst, id)
	dst = append(dst, "retry: "...)
	dst = append(dst, retry...)
	return append(dst, "\ndata: \n\n\r\n"...)
}

// AppendLastChunk appends the zero-size chunk that ends a chunked body.
func AppendLastChunk(dst []byte) []byte {
	return append(dst, "0\r\n\r\n"...)
}

// checkSSEField panics on an id or event name that would break the event
// framing; a NUL in an id also makes browsers ignore it.
func checkSSEField(id []byte, event string) {
	if hasLineBreak(id) || bytes.IndexByte(id, 0) >= 0 || hasLineBreak(event) {
		panic("BUG: http1: line break or NUL in an SSE id or event name")
	}
}

func appendChunkSize(dst []byte, size int) []byte {
	dst = strconv.AppendInt(dst, int64(size), 16)
	return append(dst, "\r\n"...)
}

func appendIDLine(dst, id []byte) []byte {
	if len(id) == 0 {
		return dst
	}
	dst = append(dst, "id: "...)
	dst = append(dst, id...)
	return append(dst, '\n')
}

// countLines counts the lines of data and the bytes of the line breaks
// between them (CRLF counts as one break of two bytes).
func countLines(data []byte) (lines, breakBytes int) {
	lines = 1
	if bytes.IndexByte(data, '\n') < 0 && bytes.IndexByte(data, '\r') < 0 {
		return lines, 0
	}
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '\r':
			lines++
			breakBytes++
			if i+1 < len(data) && data[i+1] == '\n' {
				i++
				breakBytes++
			}
		case '\n':
			lines++
			breakBytes++
		}
	}
	return lines, breakBytes
}

func appendDataLines(dst, data []byte) []byte {
	for {
		i := indexLineBreak(data)
		dst = append(dst, "data: "...)
		if i < 0 {
			dst = append(dst, data...)
			return append(dst, '\n')
		}
		dst = append(dst, data[:i]...)
		dst = append(dst, '\n')
		if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
			i++
		}
		data = data[i+1:]
	}
}

func indexLineBreak(b []byte) int {
	for i, c := range b {
		if c == '\r' || c == '\n' {
			return i
		}
	}
	return -1
}
