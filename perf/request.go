package perf

import "strconv"

// Protocol constants of the two MCP eras the generator speaks.
const (
	legacyVersion = "2025-11-25"
	modernVersion = "2026-07-28"
	// initializeID is the id of the initialize request; calls count up from 1.
	initializeID = 0
)

// appendText appends the echo text of call id: "t<id>" padded with 'x' to size bytes, so
// an answer carrying another call's text is caught by the verifier, not only a wrong id.
func appendText(dst []byte, id uint64, size int) []byte {
	start := len(dst)
	dst = append(dst, 't')
	dst = strconv.AppendUint(dst, id, 10)
	for len(dst)-start < size {
		dst = append(dst, 'x')
	}
	return dst
}

// appendCallBody appends a tools/call of echo; modern adds the per-request _meta.
func appendCallBody(dst []byte, id uint64, textSize int, modern bool) []byte {
	dst = append(dst, `{"jsonrpc":"2.0","id":`...)
	dst = strconv.AppendUint(dst, id, 10)
	dst = append(dst, `,"method":"tools/call","params":{"name":"echo","arguments":{"text":"`...)
	dst = appendText(dst, id, textSize)
	dst = append(dst, `"}`...)
	if modern {
		dst = append(dst, `,"_meta":{"io.modelcontextprotocol/protocolVersion":"`+modernVersion+
			`","io.modelcontextprotocol/clientCapabilities":{}}`...)
	}
	return append(dst, `}}`...)
}

// initializeBody is the legacy initialize request.
const initializeBody = `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"` +
	legacyVersion + `","capabilities":{},"clientInfo":{"name":"densemcp-bench","version":"1.0.0"}}}`

// initializedBody is the notification that ends the legacy handshake.
const initializedBody = `{"jsonrpc":"2.0","method":"notifications/initialized"}`

// httpHead holds what every request head of one connection shares.
type httpHead struct {
	host, path []byte
}

// appendPost appends a POST of body with the headers of the connection's era; session and
// version are empty before initialize has answered.
func (h *httpHead) appendPost(dst []byte, body []byte, session, version []byte, modern bool) []byte {
	dst = append(dst, "POST "...)
	dst = append(dst, h.path...)
	dst = append(dst, " HTTP/1.1\r\nHost: "...)
	dst = append(dst, h.host...)
	dst = append(dst, "\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"...)
	if modern {
		dst = append(dst, "MCP-Protocol-Version: "+modernVersion+"\r\nMcp-Method: tools/call\r\nMcp-Name: echo\r\n"...)
	} else if len(version) > 0 {
		dst = append(dst, "MCP-Protocol-Version: "...)
		dst = append(dst, version...)
		dst = append(dst, "\r\n"...)
	}
	if len(session) > 0 {
		dst = append(dst, "Mcp-Session-Id: "...)
		dst = append(dst, session...)
		dst = append(dst, "\r\n"...)
	}
	dst = append(dst, "Content-Length: "...)
	dst = strconv.AppendInt(dst, int64(len(body)), 10)
	dst = append(dst, "\r\n\r\n"...)
	return append(dst, body...)
}

// appendStreamGet appends the GET that opens a legacy session's server-to-client SSE stream.
func (h *httpHead) appendStreamGet(dst []byte, session, version []byte) []byte {
	dst = append(dst, "GET "...)
	dst = append(dst, h.path...)
	dst = append(dst, " HTTP/1.1\r\nHost: "...)
	dst = append(dst, h.host...)
	dst = append(dst, "\r\nAccept: text/event-stream\r\n"...)
	if len(version) > 0 {
		dst = append(dst, "MCP-Protocol-Version: "...)
		dst = append(dst, version...)
		dst = append(dst, "\r\n"...)
	}
	if len(session) > 0 {
		dst = append(dst, "Mcp-Session-Id: "...)
		dst = append(dst, session...)
		dst = append(dst, "\r\n"...)
	}
	return append(dst, "\r\n"...)
}
