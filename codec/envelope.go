package codec

import (
	"bytes"
	"strconv"
)

// Invalid-request messages (Error.Message with CodeInvalidRequest).
const (
	msgBatch              = "batching is not supported"
	msgNotObject          = "message must be a JSON object"
	msgBadID              = "id must be a string or a number"
	msgBadVersion         = `jsonrpc must be "2.0"`
	msgMethodNotString    = "method must be a string"
	msgRequestWithResult  = "a request must not carry result or error"
	msgBadParams          = "params must be an object or an array"
	msgNoMethod           = "message must carry method, result or error"
	msgResultAndError     = "a response must carry exactly one of result and error"
	msgResponseWithoutID  = "a response must carry an id"
	msgResponseWithParams = "a response must not carry params"
	msgErrorNotObject     = "error must be an object"
)

// Error is a message the codec refused, with the JSON-RPC error code and
// message to answer it with. ID is the raw id to echo (it aliases the line),
// or nil when the reply must carry "id": null: always for CodeParseError, and
// for an invalid request whose id is absent or not a string or number.
type Error struct {
	Code    int
	Message string
	ID      []byte
}

// Error implements error.
func (e *Error) Error() string {
	return "jsonrpc error " + strconv.Itoa(e.Code) + ": " + e.Message
}

func invalidRequest(msg string, id []byte) *Error {
	return &Error{Code: CodeInvalidRequest, Message: msg, ID: id}
}

// envelope holds the raw values of the top-level members that JSON-RPC
// defines, as recorded during the scan. nil means absent: a JSON value is
// never empty.
type envelope struct {
	jsonrpc, id, method, params, result, error []byte
}

// set records val if key names an envelope member. Keys are case-sensitive:
// "Method" is an unknown member like any other and is ignored.
//
// It runs for every top-level member of every message: the length and one
// byte pick the one name a key can be, so each key costs one comparison
// (a plain string switch tests several).
func (e *envelope) set(key, val []byte) {
	switch len(key) {
	case 2:
		if string(key) == "id" {
			e.id = val
		}
	case 5:
		if string(key) == "error" {
			e.error = val
		}
	case 6:
		switch key[0] {
		case 'm':
			if string(key) == "method" {
				e.method = val
			}
		case 'p':
			if string(key) == "params" {
				e.params = val
			}
		case 'r':
			if string(key) == "result" {
				e.result = val
			}
		}
	case 7:
		if string(key) == "jsonrpc" {
			e.jsonrpc = val
		}
	}
}

// Decoder decodes JSON-RPC 2.0 messages. It keeps scratch space between
// calls, so reuse one per event loop or connection. The zero value is ready.
// A Decoder is not safe for concurrent use.
type Decoder struct {
	s      scanner
	method []byte // unescaped method names that had escapes
	idx    Index  // params, _meta and arguments of the last message
}

// Decode parses exactly one JSON-RPC 2.0 message from line into m. It
// allocates nothing for a valid message once its scratch has grown.
//
// Rules: the line must pass Valid (else CodeParseError); it must be an object
// (a top-level array is a batch, which MCP removed: CodeInvalidRequest
// "batching is not supported"); "jsonrpc" must be the string "2.0"; "id", if
// present, a string or a number (null is refused: this server never needs a
// null id, and a request with one could not be answered distinctly). A
// message with "method" (a string) is a request, or a notification without
// "id"; its "params", if present, an object or an array; it must not carry
// "result" or "error". A message without "method" is a response: it needs an
// "id" and exactly one of "result" and "error" (an object), and no "params".
// Keys are case-sensitive, and unknown members are ignored, as JSON-RPC
// allows extensions (MCP puts none at the top level, but ignoring them costs
// nothing and breaks no client).
//
// On failure Decode returns an *Error, whose ID is set when the id could be
// recovered so the reply can echo it. m's slices alias line or d's scratch
// and are valid until either is reused.
func (d *Decoder) Decode(line []byte, m *Message) error {
	m.Reset()
	s := &d.s
	s.reset(line)
	d.idx.reset(line)
	s.idx = &d.idx
	var err error
	// Every path ends in s.release; no defer, which cost this per-message
	// function a wrapper call.
	if !s.text(true) {
		err = &Error{Code: CodeParseError, Message: s.err}
	} else if first := line[firstNonSpace(line)]; first == '[' {
		err = invalidRequest(msgBatch, nil)
	} else if first != '{' {
		err = invalidRequest(msgNotObject, nil)
	} else {
		err = d.classify(&s.env, m)
	}
	s.release()
	return err
}

// classify applies the JSON-RPC 2.0 rules to the recorded envelope.
func (d *Decoder) classify(e *envelope, m *Message) error {
	if e.id != nil && !isStringOrNumber(e.id) {
		return invalidRequest(msgBadID, nil)
	}
	id := e.id
	if !isVersion2(e.jsonrpc) {
		return invalidRequest(msgBadVersion, id)
	}
	if e.method != nil {
		switch {
		case !IsString(e.method):
			return invalidRequest(msgMethodNotString, id)
		case e.result != nil || e.error != nil:
			return invalidRequest(msgRequestWithResult, id)
		case e.params != nil && !IsObject(e.params) && !IsArray(e.params):
			return invalidRequest(msgBadParams, id)
		}
		m.Kind = KindRequest
		if id == nil {
			m.Kind = KindNotification
		}
		m.ID, m.Method, m.Params = id, d.unquoteMethod(e.method), e.params
		m.idx = &d.idx
		return nil
	}
	switch {
	case e.result != nil && e.error != nil:
		return invalidRequest(msgResultAndError, id)
	case e.result == nil && e.error == nil:
		return invalidRequest(msgNoMethod, id)
	case id == nil:
		return invalidRequest(msgResponseWithoutID, nil)
	case e.params != nil:
		return invalidRequest(msgResponseWithParams, id)
	case e.error != nil && !IsObject(e.error):
		return invalidRequest(msgErrorNotObject, id)
	}
	m.Kind, m.ID, m.Result, m.Error = KindResponse, id, e.result, e.error
	if e.error != nil {
		m.Kind = KindErrorResponse
	}
	return nil
}

// unquoteMethod returns the method name: a view into the line when it has no
// escapes (the common case), else unescaped into d's scratch.
func (d *Decoder) unquoteMethod(raw []byte) []byte {
	content := raw[1 : len(raw)-1]
	if !hasBackslash(content) {
		return content
	}
	var ok bool
	d.method, ok = appendUnescaped(d.method[:0], content)
	if !ok {
		panic("BUG: a method name the scanner accepted failed to unescape")
	}
	if cap(d.method) > maxRetainedArena {
		// Hand this one out but do not keep it for the next message.
		method := d.method
		d.method = nil
		return method
	}
	return d.method
}

// isVersion2 reports whether the raw "jsonrpc" value is the string "2.0",
// however it is escaped.
func isVersion2(raw []byte) bool {
	if string(raw) == `"2.0"` {
		return true
	}
	// The longest spelling of "2.0" is three \u escapes: 2+18 bytes.
	if len(raw) > 20 || !IsString(raw) {
		return false
	}
	var buf [20]byte
	u, ok := appendUnescaped(buf[:0], raw[1:len(raw)-1])
	return ok && string(u) == "2.0"
}

func isStringOrNumber(v []byte) bool {
	c := v[0]
	return c == '"' || c == '-' || '0' <= c && c <= '9'
}

func firstNonSpace(b []byte) int {
	i := 0
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

func hasBackslash(b []byte) bool {
	return bytes.IndexByte(b, '\\') >= 0
}
