// Package floorsrv is the floor server of densemcp's benchmarks: a bare gnet server that
// answers every NDJSON line and every Streamable HTTP request with canned bytes, copying
// only the request id and the echo text with byte scans. No JSON decoding, no MCP state:
// what it costs per call is the least any MCP server on gnet can cost, the floor that
// densemcp's numbers are read against.
package floorsrv

import "bytes"

var (
	keyID        = []byte(`"id":`)
	keyArguments = []byte(`"arguments":`)
	keyText      = []byte(`"text":"`)
	keyModern    = []byte(`"io.modelcontextprotocol/protocolVersion"`)
	methodInit   = []byte(`"method":"initialize"`)
	methodCall   = []byte(`"method":"tools/call"`)
)

// idToken returns the raw JSON token of the message's id (a number or a string with its
// quotes), or nil for a notification.
func idToken(b []byte) []byte {
	i := bytes.Index(b, keyID)
	if i < 0 {
		return nil
	}
	b = b[i+len(keyID):]
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	if len(b) == 0 {
		return nil
	}
	if b[0] == '"' {
		if n := stringEnd(b[1:]); n >= 0 {
			return b[:n+2]
		}
		return nil
	}
	n := 0
	for n < len(b) && b[n] != ',' && b[n] != '}' && b[n] != ' ' && b[n] != '\t' && b[n] != '\r' && b[n] != '\n' {
		n++
	}
	if n == 0 || bytes.Equal(b[:n], []byte("null")) {
		return nil
	}
	return b[:n]
}

// stringEnd returns the index of the closing quote of the JSON string whose contents start
// at b[0], skipping escapes; -1 when unterminated.
func stringEnd(b []byte) int {
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

// echoText returns the raw (still JSON-escaped) value of arguments.text, or nil.
func echoText(b []byte) []byte {
	i := bytes.Index(b, keyArguments)
	if i < 0 {
		return nil
	}
	b = b[i:]
	j := bytes.Index(b, keyText)
	if j < 0 {
		return nil
	}
	b = b[j+len(keyText):]
	n := stringEnd(b)
	if n < 0 {
		return nil
	}
	return b[:n]
}

// appendAnswer appends the JSON answer to one JSON-RPC message; ok is false for a
// notification, which gets no answer.
func appendAnswer(dst, msg []byte) (out []byte, ok bool) {
	id := idToken(msg)
	if id == nil {
		return dst, false
	}
	dst = append(dst, `{"jsonrpc":"2.0","id":`...)
	dst = append(dst, id...)
	switch {
	case bytes.Contains(msg, methodInit):
		dst = append(dst, `,"result":{"protocolVersion":"2025-11-25","capabilities":{"tools":{}},`+
			`"serverInfo":{"name":"densemcp-floor","version":"1.0.0"}}}`...)
	case bytes.Contains(msg, methodCall):
		text := echoText(msg)
		dst = append(dst, `,"result":{"content":[{"type":"text","text":"`...)
		dst = append(dst, text...)
		dst = append(dst, `"}],"structuredContent":{"text":"`...)
		dst = append(dst, text...)
		dst = append(dst, `"}`...)
		if bytes.Contains(msg, keyModern) {
			dst = append(dst, `,"resultType":"complete"`...)
		}
		dst = append(dst, `}}`...)
	default:
		dst = append(dst, `,"result":{}}`...)
	}
	return dst, true
}
