// Package http1 frames HTTP/1.1 requests and writes HTTP/1.1 responses for
// the Streamable HTTP transport running on gnet event loops.
//
// The engine keeps unconsumed bytes in gnet's inbound buffer and calls
// [Parser.Parse] again with the whole buffer when more bytes arrive. Parse
// frames exactly one request at the start of the buffer and never consumes a
// partial one; the [Request] remembers how far it got, so bytes trickling in
// are looked at once, not once per read.
//
// Why a parser of our own instead of fasthttp's RequestHeader: fasthttp needs
// the complete header block behind a bufio.Reader, so we would have to find
// and check the end of the block ourselves anyway, and on v1.78.0 it accepts
// obs-fold (folding "b\r\n c" into "b c"), Content-Length together with
// Transfer-Encoding (TE wins), and "HTTP/1.2" as if it were 1.1. Each of those
// would need a pre-pass over the same bytes. A strict parser for the few
// things MCP needs (POST/GET/DELETE, about ten fields, Content-Length or
// chunked bodies) is a few hundred lines, allocates nothing in steady state,
// owns its copies of the bytes (so the engine may discard gnet's buffer right
// after Parse) and is differentially fuzzed against net/http.
//
// Strictness: every message net/http.ReadRequest rejects is rejected here too.
// In addition, and on purpose (RFC 9112 allows or requires each), this parser
// rejects: bare LF and bare CR, obs-fold, whitespace in a field name,
// Content-Length together with Transfer-Encoding, a repeated Content-Length
// even with equal values, Transfer-Encoding in an HTTP/1.0 request, a missing
// or malformed Host in HTTP/1.1, versions other than 1.0 and 1.1 (505),
// request-targets outside RFC 3986 (fragments, non-ASCII, bad %-escapes in the
// path, authority-form, "*" except for OPTIONS, IP-literal or userinfo
// authorities), a Trailer field naming a framing field, whitespace or control
// bytes in chunk-size lines, and anything over the limits in limits.go.
package http1
