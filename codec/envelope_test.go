package codec

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

// toolsCall is the hot-path message the benchmarks and allocation tests use.
const toolsCall = `{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"get_weather",` +
	`"arguments":{"location":"San Francisco, CA","units":"metric","days":3,"hourly":false},` +
	`"_meta":{"progressToken":"tok-42","io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`

func decodeOK(t *testing.T, in string) Message {
	t.Helper()
	var d Decoder
	var m Message
	if err := d.Decode([]byte(in), &m); err != nil {
		t.Fatalf("Decode(%s): %v", in, err)
	}
	return m
}

func TestDecodeAccepts(t *testing.T) {
	// f checks the decoded fields; "" stands for nil.
	f := func(in string, kind Kind, id, method, params, result, errObj string) {
		t.Helper()
		m := decodeOK(t, in)
		got := func(name string, b []byte, want string) {
			t.Helper()
			if (want == "") != (b == nil) || string(b) != want {
				t.Fatalf("Decode(%s).%s = %q (nil %v), want %q", in, name, b, b == nil, want)
			}
		}
		if m.Kind != kind {
			t.Fatalf("Decode(%s).Kind = %v, want %v", in, m.Kind, kind)
		}
		got("ID", m.ID, id)
		got("Method", m.Method, method)
		got("Params", m.Params, params)
		got("Result", m.Result, result)
		got("Error", m.Error, errObj)
	}
	f(`{"jsonrpc":"2.0","id":1,"method":"ping"}`, KindRequest, "1", "ping", "", "", "")
	f(`{"jsonrpc":"2.0","method":"notifications/initialized"}`, KindNotification, "", "notifications/initialized", "", "", "")
	f(`{"jsonrpc":"2.0","id":"abc","method":"x","params":{"a":[1,2]}}`, KindRequest, `"abc"`, "x", `{"a":[1,2]}`, "", "")
	f(`{"jsonrpc":"2.0","id":1,"method":"x","params":[1,"two"]}`, KindRequest, "1", "x", `[1,"two"]`, "", "")
	f(`{"jsonrpc":"2.0","id":7,"result":{"ok":true}}`, KindResponse, "7", "", "", `{"ok":true}`, "")
	f(`{"jsonrpc":"2.0","id":7,"result":null}`, KindResponse, "7", "", "", "null", "")
	f(`{"jsonrpc":"2.0","id":7,"error":{"code":-1,"message":"m"}}`, KindErrorResponse, "7", "", "", "", `{"code":-1,"message":"m"}`)
	// Ids survive byte for byte: no number conversion, escapes kept.
	f(`{"jsonrpc":"2.0","id":12345678901234567890,"method":"x"}`, KindRequest, "12345678901234567890", "x", "", "", "")
	f(`{"jsonrpc":"2.0","id":-0,"method":"x"}`, KindRequest, "-0", "x", "", "", "")
	f(`{"jsonrpc":"2.0","id":1e5,"method":"x"}`, KindRequest, "1e5", "x", "", "", "")
	f(`{"jsonrpc":"2.0","id":1.50,"method":"x"}`, KindRequest, "1.50", "x", "", "", "")
	f(`{"jsonrpc":"2.0","id":"a\u0062\"","method":"x"}`, KindRequest, `"a\u0062\""`, "x", "", "", "")
	f(`{"jsonrpc":"2.0","id":"","method":"x"}`, KindRequest, `""`, "x", "", "", "")
	// Members in any order, whitespace anywhere, escaped envelope keys and values.
	f(" \t{ \"method\" : \"x\" , \"id\" : 2 , \"jsonrpc\" : \"2.0\" }\r\n ", KindRequest, "2", "x", "", "", "")
	f(`{"\u006aso\u006erpc":"2\u002e0","i\u0064":3,"m\u0065thod":"tools\/call"}`, KindRequest, "3", "tools/call", "", "", "")
	// Keys are case-sensitive: "Method" is an unknown member and is ignored.
	f(`{"jsonrpc":"2.0","id":1,"method":"real","Method":"fake","ID":9,"Params":7}`, KindRequest, "1", "real", "", "", "")
	// Unknown members are ignored at the top level.
	f(`{"jsonrpc":"2.0","id":1,"method":"x","extension":{"any":["thing"]}}`, KindRequest, "1", "x", "", "", "")
	// Non-ASCII method names and params.
	f(`{"jsonrpc":"2.0","id":1,"method":"héllo","params":{"k":"日本語 ✓"}}`, KindRequest, "1", "héllo", `{"k":"日本語 ✓"}`, "", "")
}

func TestDecodeEmptyMethodIsNotNil(t *testing.T) {
	m := decodeOK(t, `{"jsonrpc":"2.0","id":1,"method":""}`)
	if m.Method == nil || len(m.Method) != 0 {
		t.Fatalf("Method = %q (nil %v), want empty non-nil", m.Method, m.Method == nil)
	}
}

func TestDecodeRejects(t *testing.T) {
	// f checks code, message and echoed id ("" stands for nil).
	f := func(in string, code int, msg, id string) {
		t.Helper()
		var d Decoder
		var m Message
		err := d.Decode([]byte(in), &m)
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("Decode(%.80q) = %v, want *Error", in, err)
		}
		if e.Code != code || e.Message != msg || string(e.ID) != id || (id == "") != (e.ID == nil) {
			t.Fatalf("Decode(%.80q) = {%d %q %q}, want {%d %q %q}", in, e.Code, e.Message, e.ID, code, msg, id)
		}
		if m.Kind != 0 {
			t.Fatalf("Decode(%.80q) failed but left Kind %v", in, m.Kind)
		}
	}
	const parse, invalid = CodeParseError, CodeInvalidRequest

	// Not one JSON text.
	f(``, parse, msgUnexpectedEnd, "")
	f(`   `, parse, msgUnexpectedEnd, "")
	f(`{"jsonrpc":"2.0","id":1,"method":"x"`, parse, msgUnexpectedEnd, "")
	f(`{"jsonrpc":"2.0","id":1,"method":"x"}}`, parse, msgTrailingData, "")
	f(`{"jsonrpc":"2.0","id":1,"method":"x"} {}`, parse, msgTrailingData, "")
	f(`{"jsonrpc":"2.0","id":1,"method":"x",}`, parse, msgInvalidChar, "")
	f(`{"jsonrpc":"2.0","id":01,"method":"x"}`, parse, msgInvalidChar, "")
	f(`{"jsonrpc":"2.0","id":1.,"method":"x"}`, parse, msgInvalidNumber, "")
	f(`{"jsonrpc":"2.0","id":+1,"method":"x"}`, parse, msgInvalidChar, "")
	f(`{'jsonrpc':"2.0"}`, parse, msgInvalidChar, "")
	f(`{"a":tru}`, parse, msgInvalidChar, "")
	f("\xef\xbb\xbf{}", parse, msgInvalidChar, "") // a BOM is not whitespace
	// Strings: control characters, bad escapes, invalid UTF-8 anywhere.
	f("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\tb\"}", parse, msgControlChar, "")
	f(`{"jsonrpc":"2.0","id":1,"method":"a\x"}`, parse, msgInvalidEscape, "")
	f(`{"jsonrpc":"2.0","id":1,"method":"\ud800"}`, parse, msgInvalidEscape, "")
	f(`{"jsonrpc":"2.0","id":1,"method":"\udc00\ud800"}`, parse, msgInvalidEscape, "")
	f("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"params\":{\"a\":[{\"b\":\"\xff\"}]}}", parse, msgInvalidUTF8, "")
	f("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"params\":{\"\xc3\x28\":1}}", parse, msgInvalidUTF8, "")
	f("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xed\xa0\x80\"}", parse, msgInvalidUTF8, "") // encoded surrogate
	// NUL in a key, raw or escaped (values may hold \u0000).
	f(`{"jsonrpc":"2.0","id":1,"method":"x","params":{"a\u0000b":1}}`, parse, msgNULKey, "")
	f("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"params\":{\"a\x00\":1}}", parse, msgControlChar, "")
	// Duplicate keys at any depth, compared after unescaping.
	f(`{"method":"a","method":"b"}`, parse, msgDuplicateKey, "")
	f(`{"jsonrpc":"2.0","id":1,"method":"x","id":2}`, parse, msgDuplicateKey, "")
	f(`{"jsonrpc":"2.0","id":1,"method":"x","params":{"a":1,"\u0061":2}}`, parse, msgDuplicateKey, "")
	f(`{"jsonrpc":"2.0","id":1,"method":"x","params":[{"k":{"z":1,"z":1}}]}`, parse, msgDuplicateKey, "")
	// Nesting deeper than MaxDepth.
	f(`{"jsonrpc":"2.0","id":1,"method":"x","params":`+strings.Repeat("[", MaxDepth)+strings.Repeat("]", MaxDepth)+`}`, parse, msgTooDeep, "")

	// Not an object.
	f(`[{"jsonrpc":"2.0","id":1,"method":"x"}]`, invalid, msgBatch, "")
	f(` [] `, invalid, msgBatch, "")
	f(`[{"jsonrpc":"2.0","id":1,"method":"x"},]`, parse, msgInvalidChar, "") // invalid batch: parse error first
	f(`"2.0"`, invalid, msgNotObject, "")
	f(`42`, invalid, msgNotObject, "")
	f(`null`, invalid, msgNotObject, "")
	// Bad ids: refused, and not echoed.
	f(`{"jsonrpc":"2.0","id":null,"method":"x"}`, invalid, msgBadID, "")
	f(`{"jsonrpc":"2.0","id":true,"method":"x"}`, invalid, msgBadID, "")
	f(`{"jsonrpc":"2.0","id":{"a":1},"method":"x"}`, invalid, msgBadID, "")
	f(`{"jsonrpc":"2.0","id":[1],"method":"x"}`, invalid, msgBadID, "")
	f(`{"jsonrpc":"2.0","id":null,"result":{}}`, invalid, msgBadID, "")
	// jsonrpc must be exactly the string "2.0"; a good id is echoed.
	f(`{"id":1,"method":"x"}`, invalid, msgBadVersion, "1")
	f(`{"jsonrpc":"1.0","id":"q","method":"x"}`, invalid, msgBadVersion, `"q"`)
	f(`{"jsonrpc":2.0,"id":1,"method":"x"}`, invalid, msgBadVersion, "1")
	f(`{"jsonrpc":"2.0 ","id":1,"method":"x"}`, invalid, msgBadVersion, "1")
	f(`{"JSONRPC":"2.0","id":1,"method":"x"}`, invalid, msgBadVersion, "1")
	f(`{"jsonrpc":"2.0","method":"x","id":null,"x":1}`, invalid, msgBadID, "")
	// Requests.
	f(`{"jsonrpc":"2.0","id":1,"method":7}`, invalid, msgMethodNotString, "1")
	f(`{"jsonrpc":"2.0","id":1,"method":null}`, invalid, msgMethodNotString, "1")
	f(`{"jsonrpc":"2.0","id":1,"Method":"x"}`, invalid, msgNoMethod, "1")
	f(`{"jsonrpc":"2.0","id":1,"method":"x","params":"p"}`, invalid, msgBadParams, "1")
	f(`{"jsonrpc":"2.0","id":1,"method":"x","params":null}`, invalid, msgBadParams, "1")
	f(`{"jsonrpc":"2.0","id":1,"method":"x","params":3}`, invalid, msgBadParams, "1")
	f(`{"jsonrpc":"2.0","id":1,"method":"x","result":{}}`, invalid, msgRequestWithResult, "1")
	f(`{"jsonrpc":"2.0","method":"x","error":{}}`, invalid, msgRequestWithResult, "")
	// Responses.
	f(`{"jsonrpc":"2.0","id":1}`, invalid, msgNoMethod, "1")
	f(`{"jsonrpc":"2.0"}`, invalid, msgNoMethod, "")
	f(`{"jsonrpc":"2.0","id":1,"result":1,"error":{}}`, invalid, msgResultAndError, "1")
	f(`{"jsonrpc":"2.0","result":1}`, invalid, msgResponseWithoutID, "")
	f(`{"jsonrpc":"2.0","id":1,"result":1,"params":{}}`, invalid, msgResponseWithParams, "1")
	f(`{"jsonrpc":"2.0","id":1,"error":"boom"}`, invalid, msgErrorNotObject, "1")
	f(`{"jsonrpc":"2.0","id":1,"error":null}`, invalid, msgErrorNotObject, "1")
}

func TestDecoderReuse(t *testing.T) {
	var d Decoder
	var m Message
	lines := []string{
		`{"jsonrpc":"2.0","id":1,"method":"t\u0061sk"}`,
		`{"jsonrpc":"2.0","method":"x","params":{"a":1,"a":2}}`,
		`{"jsonrpc":"2.0","id":2,"result":[]}`,
		`{"jsonrpc":"2.0","id":3,"method":"\u0070ing"}`,
	}
	want := []string{"task", "", "", "ping"}
	for i, l := range lines {
		err := d.Decode([]byte(l), &m)
		if (err != nil) != (i == 1) || string(m.Method) != want[i] {
			t.Fatalf("line %d: err %v, method %q", i, err, m.Method)
		}
	}
}

func TestErrorString(t *testing.T) {
	e := &Error{Code: CodeInvalidRequest, Message: msgBatch}
	if got := e.Error(); got != "jsonrpc error -32600: batching is not supported" {
		t.Fatalf("Error() = %q", got)
	}
}

func TestDecodeHugeObjectIsBounded(t *testing.T) {
	// 100k distinct keys, then the same with one duplicate at the end: the
	// sort-based check must handle both (bounded by key count, not time).
	var b strings.Builder
	b.WriteString(`{"jsonrpc":"2.0","id":1,"method":"x","params":{`)
	const n = 100_000
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"k`)
		b.WriteString(strconv.Itoa(i))
		b.WriteString(`":0`)
	}
	unique := b.String() + "}}"
	dup := b.String() + `,"k` + strconv.Itoa(n/2) + `":1}}`
	escapedDup := b.String() + `,"\u006b` + strconv.Itoa(n-1) + `":1}}`

	var d Decoder
	var m Message
	if err := d.Decode([]byte(unique), &m); err != nil {
		t.Fatalf("unique keys: %v", err)
	}
	for _, in := range []string{dup, escapedDup} {
		var e *Error
		if err := d.Decode([]byte(in), &m); !errors.As(err, &e) || e.Message != msgDuplicateKey {
			t.Fatalf("duplicate key in a huge object: %v", err)
		}
	}
	if cap(d.s.keys) > maxRetainedKeys {
		t.Fatalf("decoder kept %d key slots after a huge message", cap(d.s.keys))
	}
}

func TestDecodeManyObjectsWithManyKeys(t *testing.T) {
	// Every object just above the linear threshold, nested: each is sorted
	// once, and a duplicate inside any of them is still found.
	obj := func(dupAt int) string {
		var b strings.Builder
		b.WriteByte('{')
		for i := range smallObjectKeys + 2 {
			if i > 0 {
				b.WriteByte(',')
			}
			k := i
			if i == dupAt {
				k = 0
			}
			b.WriteString(`"` + strconv.Itoa(k) + `":` + strconv.Itoa(i))
		}
		b.WriteByte('}')
		return b.String()
	}
	for _, dupAt := range []int{-1, 1, smallObjectKeys - 1, smallObjectKeys, smallObjectKeys + 1} {
		in := `{"a":` + obj(-1) + `,"b":[` + obj(dupAt) + `],"c":` + obj(-1) + `}`
		err := Valid([]byte(in))
		if (err != nil) != (dupAt >= 0) {
			t.Fatalf("dupAt %d: Valid = %v", dupAt, err)
		}
	}
}

func TestErrorMessagesAreStable(t *testing.T) {
	// Clients see these texts; changing one is a visible change.
	f := func(got, want string) {
		t.Helper()
		if got != want {
			t.Fatalf("message %q, want %q", got, want)
		}
	}
	f(msgUnexpectedEnd, "parse error: unexpected end of input")
	f(msgInvalidChar, "parse error: invalid character")
	f(msgInvalidNumber, "parse error: invalid number")
	f(msgInvalidEscape, "parse error: invalid escape sequence in string")
	f(msgInvalidUTF8, "parse error: invalid UTF-8 in string")
	f(msgControlChar, "parse error: control character in string")
	f(msgNULKey, "parse error: NUL character in object key")
	f(msgDuplicateKey, "parse error: duplicate object key")
	f(msgTooDeep, "parse error: nesting deeper than 128 levels")
	f(msgTrailingData, "parse error: data after the JSON value")
	f(msgBatch, "batching is not supported")
	f(msgNotObject, "message must be a JSON object")
	f(msgBadID, "id must be a string or a number")
	f(msgBadVersion, `jsonrpc must be "2.0"`)
	f(msgMethodNotString, "method must be a string")
	f(msgRequestWithResult, "a request must not carry result or error")
	f(msgBadParams, "params must be an object or an array")
	f(msgNoMethod, "message must carry method, result or error")
	f(msgResultAndError, "a response must carry exactly one of result and error")
	f(msgResponseWithoutID, "a response must carry an id")
	f(msgResponseWithParams, "a response must not carry params")
	f(msgErrorNotObject, "error must be an object")
}
