package engine

import (
	"bytes"
	"strings"

	"github.com/densemcp/densemcp/codec/http1"
)

// CORS for Streamable HTTP (HTTPConfig.CORSOrigins). A browser reads a
// cross-origin response only when it names the page's origin in
// Access-Control-Allow-Origin, and reads a response header only when it is
// listed in Access-Control-Expose-Headers (or safelisted). So every answer
// to a request from an allowed Origin — preflight, JSON body, SSE head,
// 202/204 heads and every error, 401 and 403 from authorization included —
// carries the fields of appendCORS; the preflight adds what the actual
// request may be (corsPreflight). Without CORSOrigins none of this runs: a
// request costs one length check.

// Fields of the CORS answers.
const (
	corsAllowMethods = "GET, POST, DELETE, OPTIONS"
	// corsAllowHeaders are the request fields a browser client of either
	// era sends besides the safelisted ones; the preflight adds the
	// Mcp-Param-* fields it was asked for (SEP-2243), whose names depend
	// on the tools.
	corsAllowHeaders = "Content-Type, Accept, Authorization, Mcp-Session-Id, MCP-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID"
	// corsExposeHeaders are the response fields a browser client must
	// read: the legacy session id, the authorization challenge (401/403)
	// and when to retry a refusal (503/429).
	corsExposeHeaders = "Mcp-Session-Id, WWW-Authenticate, Retry-After"
	// corsMaxAge lets a browser reuse a preflight for 2 hours (Chromium's
	// cap), instead of sending one before each call.
	corsMaxAge = "7200"
	// maxCORSParamHeaders bounds the Mcp-Param-* names one preflight
	// reflects; the head's size limit bounds them too.
	maxCORSParamHeaders = 64
)

// corsOrigin returns origin if CORS headers are configured for it, else
// "". An origin listed as it was sent is returned as the configured string,
// so the common case copies nothing.
func (c *HTTPConfig) corsOrigin(origin []byte) string {
	if len(origin) == 0 {
		return ""
	}
	for _, a := range c.CORSOrigins {
		if a == string(origin) {
			return a
		}
	}
	for _, a := range c.CORSOrigins {
		if a == "*" || equalFoldASCII(origin, a) {
			// The browser compares the field with its origin byte for
			// byte: send back what it sent.
			return string(origin)
		}
	}
	return ""
}

// appendCORS appends the fields every response to an allowed origin
// carries; nothing when origin is "".
func appendCORS(b []byte, origin string) []byte {
	if origin == "" {
		return b
	}
	b = http1.AppendHeader(b, "Access-Control-Allow-Origin", origin)
	b = http1.AppendHeader(b, "Access-Control-Expose-Headers", corsExposeHeaders)
	return http1.AppendHeader(b, "Vary", "Origin")
}

// withCORS returns fields plus those of appendCORS, in a new slice (fields
// may be shared); fields itself when origin is "".
func withCORS(origin string, fields ...[2]string) [][2]string {
	if origin == "" {
		return fields
	}
	return append(fields[:len(fields):len(fields)],
		[2]string{"Access-Control-Allow-Origin", origin},
		[2]string{"Access-Control-Expose-Headers", corsExposeHeaders},
		[2]string{"Vary", "Origin"})
}

// spliceCORS returns the response bytes b, which begin with a status line,
// with the fields of appendCORS after it (a copy); b itself when origin is
// "" or b does not begin with a whole status line.
func spliceCORS(b []byte, origin string) []byte {
	i := bytes.Index(b, []byte("\r\n"))
	if origin == "" || i < 0 || !bytes.HasPrefix(b, []byte("HTTP/1.")) {
		return b
	}
	out := make([]byte, 0, len(b)+256)
	out = append(out, b[:i+2]...)
	out = appendCORS(out, origin)
	return append(out, b[i+2:]...)
}

// corsPreflight returns the fields of a preflight's answer besides
// appendCORS's: the methods, the fixed request fields plus the Mcp-Param-*
// names listed in Access-Control-Request-Headers (each checked to be a
// field name, at most maxCORSParamHeaders), and the max age. hdr reads the
// request's fields (values: every field of that name, in order).
func corsPreflight(values func(name string, fn func(v []byte) bool)) [][2]string {
	allow := corsAllowHeaders
	var b []byte
	n := 0
	values("Access-Control-Request-Headers", func(v []byte) bool {
		for len(v) > 0 && n < maxCORSParamHeaders {
			var name []byte
			name, v, _ = bytes.Cut(v, []byte(","))
			name = bytes.Trim(name, " \t")
			if len(name) > len("mcp-param-") && isFieldName(name) &&
				strings.EqualFold(string(name[:len("mcp-param-")]), "mcp-param-") {
				if b == nil {
					b = append(b, corsAllowHeaders...)
				}
				b = append(b, ", "...)
				b = append(b, name...)
				n++
			}
		}
		return n < maxCORSParamHeaders
	})
	if b != nil {
		allow = string(b)
	}
	return [][2]string{
		{"Access-Control-Allow-Methods", corsAllowMethods},
		{"Access-Control-Allow-Headers", allow},
		{"Access-Control-Max-Age", corsMaxAge},
	}
}

// isFieldName reports whether b is an HTTP field name: an RFC 9110 token.
func isFieldName(b []byte) bool {
	for _, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return len(b) > 0
}
