package http1

import (
	"strconv"
	"time"
)

// statusLine returns the status line for the statuses the server uses, with
// RFC 9110 reason phrases, as constants so writing one is a single copy.
func statusLine(status int) string {
	switch status {
	case 100:
		return "HTTP/1.1 100 Continue\r\n"
	case 200:
		return "HTTP/1.1 200 OK\r\n"
	case 202:
		return "HTTP/1.1 202 Accepted\r\n"
	case 204:
		return "HTTP/1.1 204 No Content\r\n"
	case 400:
		return "HTTP/1.1 400 Bad Request\r\n"
	case 401:
		return "HTTP/1.1 401 Unauthorized\r\n"
	case 403:
		return "HTTP/1.1 403 Forbidden\r\n"
	case 404:
		return "HTTP/1.1 404 Not Found\r\n"
	case 405:
		return "HTTP/1.1 405 Method Not Allowed\r\n"
	case 406:
		return "HTTP/1.1 406 Not Acceptable\r\n"
	case 408:
		return "HTTP/1.1 408 Request Timeout\r\n"
	case 413:
		return "HTTP/1.1 413 Content Too Large\r\n"
	case 415:
		return "HTTP/1.1 415 Unsupported Media Type\r\n"
	case 417:
		return "HTTP/1.1 417 Expectation Failed\r\n"
	case 421:
		return "HTTP/1.1 421 Misdirected Request\r\n"
	case 429:
		return "HTTP/1.1 429 Too Many Requests\r\n"
	case 431:
		return "HTTP/1.1 431 Request Header Fields Too Large\r\n"
	case 500:
		return "HTTP/1.1 500 Internal Server Error\r\n"
	case 501:
		return "HTTP/1.1 501 Not Implemented\r\n"
	case 503:
		return "HTTP/1.1 503 Service Unavailable\r\n"
	case 505:
		return "HTTP/1.1 505 HTTP Version Not Supported\r\n"
	}
	return ""
}

// AppendStatusLine appends "HTTP/1.1 <status> <reason>\r\n". A status
// without a listed reason gets an empty one, which RFC 9112 §4 allows.
func AppendStatusLine(dst []byte, status int) []byte {
	if line := statusLine(status); line != "" {
		return append(dst, line...)
	}
	if status < 100 || status > 999 {
		panic("BUG: http1: status code out of range")
	}
	dst = append(dst, "HTTP/1.1 "...)
	dst = strconv.AppendInt(dst, int64(status), 10)
	return append(dst, " \r\n"...)
}

// AppendHeader appends "name: value\r\n". A CR or LF in either would split
// the response, so it is a programming error and panics.
func AppendHeader(dst []byte, name, value string) []byte {
	if !validResponseField(name, value) {
		panic("BUG: http1: CR, LF or colon in a response header")
	}
	dst = append(dst, name...)
	dst = append(dst, ": "...)
	dst = append(dst, value...)
	return append(dst, "\r\n"...)
}

// AppendHeaderBytes is AppendHeader for a value held in bytes, such as a
// request field echoed back.
func AppendHeaderBytes(dst []byte, name string, value []byte) []byte {
	if !validResponseField(name, value) {
		panic("BUG: http1: CR, LF or colon in a response header")
	}
	dst = append(dst, name...)
	dst = append(dst, ": "...)
	dst = append(dst, value...)
	return append(dst, "\r\n"...)
}

// validResponseField reports whether name has no CR, LF or colon and value
// no CR or LF. Plain loops: the strings are short and strings.ContainsAny
// builds a byte set on every call.
func validResponseField[V string | []byte](name string, value V) bool {
	for i := 0; i < len(name); i++ {
		if c := name[i]; c == '\r' || c == '\n' || c == ':' {
			return false
		}
	}
	return !hasLineBreak(value)
}

func hasLineBreak[S string | []byte](s S) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\r' || c == '\n' {
			return true
		}
	}
	return false
}

// AppendContentLength appends "Content-Length: n\r\n".
func AppendContentLength(dst []byte, n int) []byte {
	if n < 0 {
		panic("BUG: http1: negative Content-Length")
	}
	dst = append(dst, "Content-Length: "...)
	dst = strconv.AppendInt(dst, int64(n), 10)
	return append(dst, "\r\n"...)
}

// AppendJSONHead appends the start of a JSON response's head: the status
// line, "Content-Type: application/json" and Content-Length. The caller
// appends any further fields and the blank line. Every answer of a JSON-RPC
// call starts so; as constants it is three copies and the length's digits,
// with no field to check.
func AppendJSONHead(dst []byte, status, contentLength int) []byte {
	if contentLength < 0 {
		panic("BUG: http1: negative Content-Length")
	}
	dst = AppendStatusLine(dst, status)
	dst = append(dst, "Content-Type: application/json\r\nContent-Length: "...)
	dst = strconv.AppendInt(dst, int64(contentLength), 10)
	return append(dst, "\r\n"...)
}

// AppendDate appends "Date: <IMF-fixdate>\r\n" (RFC 9110 §6.6.1 wants it on
// most responses). Callers format it once per second and reuse the bytes.
func AppendDate(dst []byte, now time.Time) []byte {
	dst = append(dst, "Date: "...)
	dst = now.UTC().AppendFormat(dst, "Mon, 02 Jan 2006 15:04:05 GMT")
	return append(dst, "\r\n"...)
}

// AppendResponseHead appends a status line, Content-Type (if set),
// Content-Length (except for 204, RFC 9110 §8.6), "Connection: close" if
// closeConn, the extra headers and the blank line. The body follows.
func AppendResponseHead(dst []byte, status int, contentType string, contentLength int, closeConn bool, extra ...[2]string) []byte {
	if status < 200 {
		panic("BUG: http1: AppendResponseHead with a 1xx status; use AppendContinue")
	}
	dst = AppendStatusLine(dst, status)
	if contentType != "" {
		dst = AppendHeader(dst, "Content-Type", contentType)
	}
	if status == 204 {
		if contentLength != 0 {
			panic("BUG: http1: 204 response with a body")
		}
	} else {
		dst = AppendContentLength(dst, contentLength)
	}
	if closeConn {
		dst = append(dst, "Connection: close\r\n"...)
	}
	for _, h := range extra {
		dst = AppendHeader(dst, h[0], h[1])
	}
	return append(dst, "\r\n"...)
}

// AppendResponse appends a complete response with a Content-Length body.
// The variadic extra does not allocate: the compiler keeps the slice on the
// caller's stack because it does not escape (see TestAllocs).
func AppendResponse(dst []byte, status int, contentType string, body []byte, closeConn bool, extra ...[2]string) []byte {
	dst = AppendResponseHead(dst, status, contentType, len(body), closeConn, extra...)
	return append(dst, body...)
}

// AppendContinue appends the interim "100 Continue" response.
func AppendContinue(dst []byte) []byte {
	return append(dst, "HTTP/1.1 100 Continue\r\n\r\n"...)
}
