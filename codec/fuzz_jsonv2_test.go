package codec

import (
	"bytes"
	"encoding/json/jsontext"
	jsonv2 "encoding/json/v2"
	"errors"
	"io"
	"strings"
	"testing"
)

// The differential oracle: encoding/json/v2 validates per RFC 7493 (UTF-8,
// no lone surrogates, unique names after unescaping) like our scanner does.
// Run with
//
//	go test -fuzz=FuzzDecodeJSONv2 -fuzztime=60s ./codec/

func FuzzDecodeJSONv2(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		checkDecode(t, line) // the v1 properties hold too
		checkAgainstJSONv2(t, line)
	})
}

func TestDepthLimitMatchesJSONv2(t *testing.T) {
	for _, depth := range []int{MaxDepth - 1, MaxDepth, MaxDepth + 1} {
		in := []byte(strings.Repeat(`[{"a":`, depth/2) + strings.Repeat("[", depth%2) + "1" +
			strings.Repeat("]", depth%2) + strings.Repeat("}]", depth/2))
		if (Valid(in) == nil) != referenceValid(in) {
			t.Fatalf("depth %d: Valid = %v, jsonv2 %v", depth, Valid(in), referenceValid(in))
		}
	}
}

// referenceValid is jsonv2's validity plus our two extra rules: nesting at
// most MaxDepth (jsonv2 allows 10000) and no NUL in object names (jsonv2
// allows "\u0000" in names).
func referenceValid(line []byte) bool {
	if !jsontext.Value(line).IsValid() {
		return false
	}
	dec := jsontext.NewDecoder(bytes.NewReader(line))
	for {
		tok, err := dec.ReadToken()
		if err == io.EOF {
			return true
		}
		if err != nil {
			panic("BUG: jsontext rejected a value it just called valid: " + err.Error())
		}
		if dec.StackDepth() > MaxDepth {
			return false
		}
		// After reading a name, the enclosing object's length is odd.
		kind, length := dec.StackIndex(dec.StackDepth())
		if kind == '{' && length%2 == 1 && tok.Kind() == '"' && strings.IndexByte(tok.String(), 0) >= 0 {
			return false
		}
	}
}

// checkAgainstJSONv2 derives what Decode must return from jsonv2's reading of
// line and compares.
func checkAgainstJSONv2(t *testing.T, line []byte) {
	t.Helper()
	var d Decoder
	var m Message
	err := d.Decode(line, &m)
	var e *Error
	errors.As(err, &e)

	if !referenceValid(line) {
		if e == nil || e.Code != CodeParseError {
			t.Fatalf("jsonv2 rejects %q, Decode = %v", line, err)
		}
		return
	}
	if e != nil && e.Code == CodeParseError {
		t.Fatalf("jsonv2 accepts %q, Decode = %v", line, err)
	}
	want := referenceDecode(line)
	if e != nil {
		if want.err == nil || e.Code != want.err.Code || e.Message != want.err.Message || !bytes.Equal(e.ID, want.err.ID) {
			t.Fatalf("Decode(%q) = %v (id %q), reference %+v", line, err, e.ID, want)
		}
		return
	}
	if want.err != nil {
		t.Fatalf("Decode(%q) accepted, reference error %+v", line, want.err)
	}
	if m.Kind != want.m.Kind || !bytes.Equal(m.ID, want.m.ID) || !bytes.Equal(m.Method, want.m.Method) ||
		!bytes.Equal(m.Params, want.m.Params) || !bytes.Equal(m.Result, want.m.Result) || !bytes.Equal(m.Error, want.m.Error) {
		t.Fatalf("Decode(%q) = %+v, reference %+v", line, m, want.m)
	}
}

type referenceResult struct {
	m   Message
	err *Error
}

// referenceDecode applies the Decode rules to jsonv2's reading of a valid
// line, written independently of envelope.go.
func referenceDecode(line []byte) referenceResult {
	reject := func(msg string, id []byte) referenceResult {
		return referenceResult{err: &Error{Code: CodeInvalidRequest, Message: msg, ID: id}}
	}
	switch jsontext.Value(line).Kind() {
	case '{':
	case '[':
		return reject("batching is not supported", nil)
	default:
		return reject("message must be a JSON object", nil)
	}
	var members map[string]jsontext.Value
	if err := jsonv2.Unmarshal(line, &members); err != nil {
		panic("BUG: jsonv2 cannot unmarshal a valid object: " + err.Error())
	}
	kind := func(name string) jsontext.Kind {
		if v, ok := members[name]; ok {
			return v.Kind()
		}
		return 0
	}
	raw := func(name string) []byte {
		if v, ok := members[name]; ok {
			return v
		}
		return nil
	}
	id := raw("id")
	if k := kind("id"); k != 0 && k != '"' && k != '0' {
		return reject("id must be a string or a number", nil)
	}
	var version string
	if kind("jsonrpc") != '"' || jsonv2.Unmarshal(members["jsonrpc"], &version) != nil || version != "2.0" {
		return reject(`jsonrpc must be "2.0"`, id)
	}
	if kind("method") != 0 {
		var method string
		switch {
		case kind("method") != '"':
			return reject("method must be a string", id)
		case kind("result") != 0 || kind("error") != 0:
			return reject("a request must not carry result or error", id)
		case kind("params") != 0 && kind("params") != '{' && kind("params") != '[':
			return reject("params must be an object or an array", id)
		}
		if err := jsonv2.Unmarshal(members["method"], &method); err != nil {
			panic("BUG: " + err.Error())
		}
		k := KindRequest
		if id == nil {
			k = KindNotification
		}
		return referenceResult{m: Message{Kind: k, ID: id, Method: []byte(method), Params: raw("params")}}
	}
	hasResult, hasError := kind("result") != 0, kind("error") != 0
	switch {
	case hasResult && hasError:
		return reject("a response must carry exactly one of result and error", id)
	case !hasResult && !hasError:
		return reject("message must carry method, result or error", id)
	case id == nil:
		return reject("a response must carry an id", nil)
	case kind("params") != 0:
		return reject("a response must not carry params", id)
	case hasError && kind("error") != '{':
		return reject("error must be an object", id)
	}
	if hasError {
		return referenceResult{m: Message{Kind: KindErrorResponse, ID: id, Error: raw("error")}}
	}
	return referenceResult{m: Message{Kind: KindResponse, ID: id, Result: raw("result")}}
}
