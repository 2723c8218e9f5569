package perf

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

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

// callTemplate is a tools/call request split around its id (and, for echo, its text), built
// once per run so a call costs appends of fixed bytes.
type callTemplate struct {
	// echo: the arguments are {"text":"t<id>xx…"} and answers must carry the text.
	echo bool
	// name is the params' "name" member up to the arguments' value, e.g. `"name":"echo","arguments":`.
	name []byte
	// args is the arguments object when not echo.
	args []byte
	// tool is the tool's name, for the Mcp-Name header of the modern era.
	tool []byte
}

// buildCall checks Tool and Args and fills c.call; an empty Tool is echo.
func (c *Config) buildCall() error {
	if c.Tool == "" {
		c.Tool = "echo"
	}
	if !validToolName(c.Tool) {
		return fmt.Errorf("%w: --tool %q (1 to 128 of A-Z a-z 0-9 _ - . /)", ErrBadFlag, c.Tool)
	}
	t := callTemplate{echo: c.Args == "" && c.Tool == "echo", tool: []byte(c.Tool),
		name: []byte(`"name":"` + c.Tool + `","arguments":`)}
	switch {
	case len(c.Args) > MaxArgsSize:
		return fmt.Errorf("%w: --args is %d bytes (at most %d)", ErrOutOfBounds, len(c.Args), MaxArgsSize)
	case c.Args != "":
		var buf bytes.Buffer
		// Compact: an NDJSON call must stay on one line.
		if err := json.Compact(&buf, []byte(c.Args)); err != nil || buf.Len() == 0 || buf.Bytes()[0] != '{' {
			return fmt.Errorf("%w: --args %q is not a JSON object", ErrBadFlag, c.Args)
		}
		t.args = buf.Bytes()
	case !t.echo:
		t.args = []byte(`{}`)
	}
	c.call = t
	return nil
}

// validToolName accepts the characters MCP recommends for tool names; they need no JSON
// escaping and may stand in an HTTP header (Mcp-Name) as they are.
func validToolName(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '/') {
			return false
		}
	}
	return true
}

// appendCall appends tools/call id of the run's tool; modern adds the per-request _meta.
func (t *callTemplate) appendCall(dst []byte, id uint64, textSize int, modern bool) []byte {
	dst = append(dst, `{"jsonrpc":"2.0","id":`...)
	dst = strconv.AppendUint(dst, id, 10)
	dst = append(dst, `,"method":"tools/call","params":{`...)
	dst = append(dst, t.name...)
	if t.echo {
		dst = append(dst, `{"text":"`...)
		dst = appendText(dst, id, textSize)
		dst = append(dst, `"}`...)
	} else {
		dst = append(dst, t.args...)
	}
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
	// extra is the run's --header fields, "Name: value\r\n" each (Config.headerBlock).
	extra []byte
}

// appendPost appends a POST of body with the headers of the connection's era; session and
// version are empty before initialize has answered; tool names the tool of a modern call.
func (h *httpHead) appendPost(dst []byte, body []byte, session, version, tool []byte, modern bool) []byte {
	dst = append(dst, "POST "...)
	dst = append(dst, h.path...)
	dst = append(dst, " HTTP/1.1\r\nHost: "...)
	dst = append(dst, h.host...)
	dst = append(dst, "\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"...)
	if modern {
		dst = append(dst, "MCP-Protocol-Version: "+modernVersion+"\r\nMcp-Method: tools/call\r\nMcp-Name: "...)
		dst = append(dst, tool...)
		dst = append(dst, "\r\n"...)
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
	dst = append(dst, h.extra...)
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
	dst = append(dst, h.extra...)
	return append(dst, "\r\n"...)
}
