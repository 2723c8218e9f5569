package codec

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

// Fuzz targets that run without GOEXPERIMENT=jsonv2. Their seeds run in
// plain `go test`; fuzz with e.g.
//
//	go test -fuzz=FuzzDecode -fuzztime=60s ./codec/
//
// fuzz_jsonv2_test.go holds the strict differential oracle.

// decodeSeeds are lines every Decode fuzz target starts from.
var decodeSeeds = []string{
	toolsCall,
	`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"e","arguments":{"text":"t","n":[1,{"a":2}],"\u0078":null},` +
		`"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","progressToken":"p","\u0041":{}}}}`,
	`{"jsonrpc":"2.0","id":8,"method":"m","params":{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"_meta":{}}}`,
	`{"jsonrpc":"2.0","method":"n","params":{ "_meta" : { } , "arguments" : {"x" : 1 } }}`,
	`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}`,
	`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
	`{"jsonrpc":"2.0","id":"a\u0062","result":{"content":[{"type":"text","text":"x\ny"}]}}`,
	`{"jsonrpc":"2.0","id":-0,"error":{"code":-32601,"message":"nope","data":null}}`,
	`{"jsonrpc":"2.0","id":12345678901234567890,"method":"x","params":[1.5e300,true,null]}`,
	`{"\u006aso\u006erpc":"2\u002e0","i\u0064":3,"m\u0065thod":"tools\/call"}`,
	`{"method":"a","method":"b"}`,
	`{"jsonrpc":"2.0","id":1,"Method":"x","params":{"a":1,"\u0061":2}}`,
	`[{"jsonrpc":"2.0","id":1,"method":"x"}]`,
	`{"jsonrpc":"2.0","id":null,"method":"x"}`,
	`{"jsonrpc":"2.0","id":1,"result":1,"error":{}}`,
	"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xff\"}",
	`{"jsonrpc":"2.0","id":1,"method":"x","params":{"k\u0000":1}}`,
	`{"jsonrpc":"2.0","id":1,"method":"\ud83d\ude00\u00e9"}`,
	`{"jsonrpc":"2.0","id":1,"method":"x","params":` + strings.Repeat("[", 130) + strings.Repeat("]", 130) + `}`,
	` {"jsonrpc" : "2.0" , "id" : "x" , "method" : "y" } `,
	`{"a":{"0":0,"1":1,"2":2,"3":3,"4":4,"5":5,"6":6,"7":7,"8":8,"9":9,"10":0,"11":1,"12":2,"13":3,"14":4,"15":5,"16":6,"1":7}}`,
	`"2.0"`, `1 2`, `{}`, ``, `{"jsonrpc":"2.0","id":1,"method":"x","params":{"s":"a\"b\\c"}}`,
}

func FuzzDecode(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		checkDecode(t, line)
	})
}

// checkDecode holds the oracle-free properties and the encoding/json v1
// cross-checks of one Decode call.
func checkDecode(t *testing.T, line []byte) {
	t.Helper()
	var d Decoder
	var m Message
	err := d.Decode(line, &m)
	validErr := Valid(line)

	var e *Error
	if err != nil && !errors.As(err, &e) {
		t.Fatalf("Decode returned %T %v, want *Error", err, err)
	}
	if validErr != nil {
		// Not valid: exactly the same parse error from both entry points.
		if e == nil || e.Code != CodeParseError || e.ID != nil || e.Message != validErr.(*Error).Message {
			t.Fatalf("Valid = %v but Decode = %v", validErr, err)
		}
		return
	}
	// Everything we accept, the standard library accepts (the converse does
	// not hold: v1 allows duplicate keys and invalid UTF-8).
	if !json.Valid(line) {
		t.Fatalf("Valid accepted what encoding/json rejects: %q", line)
	}
	if e != nil && e.Code != CodeInvalidRequest {
		t.Fatalf("valid JSON but Decode = %v", err)
	}
	trimmed := bytes.TrimLeft(line, " \t\r\n")
	if trimmed[0] != '{' {
		if e == nil {
			t.Fatalf("non-object accepted: %q", line)
		}
		return
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(line, &members); err != nil {
		t.Fatalf("encoding/json cannot read an object Valid accepted: %v", err)
	}
	if e != nil {
		if e.ID != nil && !bytes.Equal(e.ID, members["id"]) {
			t.Fatalf("error echoes id %q, message has %q", e.ID, members["id"])
		}
		return
	}
	checkFields(t, &m, members)
	checkReencode(t, &m)
	checkParamsAccess(t, m.Params)
	checkIndex(t, &m)
}

// checkIndex: what the Decoder recorded of params, params._meta and
// params.arguments reads exactly as walking them does, and other objects
// (including copies of the recorded ones) are walked.
func checkIndex(t *testing.T, m *Message) {
	t.Helper()
	x := m.Index()
	if (m.Kind == KindRequest || m.Kind == KindNotification) != (x != nil) {
		t.Fatalf("Index() = %v for a %v", x, m.Kind)
	}
	same := func(obj []byte) {
		t.Helper()
		type kv struct{ k, v string }
		var walked, indexed []kv
		ObjectEach(obj, func(k, v []byte) bool { walked = append(walked, kv{string(k), string(v)}); return true })
		x.Each(obj, func(k, v []byte) bool { indexed = append(indexed, kv{string(k), string(v)}); return true })
		if !slices.Equal(walked, indexed) {
			t.Fatalf("Index.Each(%s) = %q, ObjectEach = %q", obj, indexed, walked)
		}
		for _, p := range walked {
			key := p.k
			if strings.HasPrefix(key, `"`) {
				u, err := Unquote(nil, []byte(key))
				if err != nil {
					t.Fatalf("escaped key %s: %v", key, err)
				}
				key = string(u)
			}
			for _, k := range []string{key, key + "x", "_meta", "name"} {
				v1, ok1 := ObjectField(obj, k)
				v2, ok2 := x.Field(obj, k)
				if ok1 != ok2 || !bytes.Equal(v1, v2) {
					t.Fatalf("Index.Field(%s, %q) = %q %v, ObjectField = %q %v", obj, k, v2, ok2, v1, ok1)
				}
			}
		}
		// Every member stops Each when fn says so.
		n := 0
		x.Each(obj, func(_, _ []byte) bool { n++; return false })
		if len(walked) > 0 && n != 1 {
			t.Fatalf("Each went on after false: %d calls", n)
		}
	}
	same(m.Params)
	same(bytes.Clone(m.Params))
	meta, _ := ObjectField(m.Params, "_meta")
	same(meta)
	args, _ := ObjectField(m.Params, "arguments")
	same(args)
}

// checkFields compares the decoded message with encoding/json's reading of
// the same object.
func checkFields(t *testing.T, m *Message, members map[string]json.RawMessage) {
	t.Helper()
	same := func(name string, got []byte) {
		t.Helper()
		want, ok := members[name]
		if ok != (got != nil) || !bytes.Equal(got, want) {
			t.Fatalf("%s = %q, encoding/json read %q (present %v)", name, got, want, ok)
		}
	}
	same("id", m.ID)
	same("params", m.Params)
	same("result", m.Result)
	same("error", m.Error)
	if m.Kind == KindRequest || m.Kind == KindNotification {
		var method string
		if err := json.Unmarshal(members["method"], &method); err != nil || method != string(m.Method) {
			t.Fatalf("Method = %q, encoding/json read %q (%v)", m.Method, method, err)
		}
	}
	if IsString(m.ID) {
		var id string
		uq, err := Unquote(nil, m.ID)
		if json.Unmarshal(m.ID, &id) != nil || err != nil || id != string(uq) {
			t.Fatalf("Unquote(id %s) = %q, %v; encoding/json read %q", m.ID, uq, err, id)
		}
	}
}

// checkReencode writes m back with the encoders and decodes it again.
func checkReencode(t *testing.T, m *Message) {
	t.Helper()
	var out []byte
	switch m.Kind {
	case KindRequest:
		out = AppendRequest(nil, m.ID, string(m.Method), m.Params)
	case KindNotification:
		out = AppendNotification(nil, string(m.Method), m.Params)
	case KindResponse:
		out = AppendResponse(nil, m.ID, m.Result)
	case KindErrorResponse:
		out = AppendResultHead(nil, m.ID)
		out = append(out[:len(out)-len(`"result":`)], `"error":`...)
		out = AppendResultTail(append(out, m.Error...))
	default:
		t.Fatalf("accepted message with kind %v", m.Kind)
	}
	var d Decoder
	var again Message
	if err := d.Decode(out, &again); err != nil {
		t.Fatalf("re-encoded %s does not decode: %v", out, err)
	}
	if again.Kind != m.Kind || !bytes.Equal(again.ID, m.ID) || !bytes.Equal(again.Method, m.Method) ||
		!bytes.Equal(again.Params, m.Params) || !bytes.Equal(again.Result, m.Result) || !bytes.Equal(again.Error, m.Error) {
		t.Fatalf("re-encoded %s decodes to %+v, want %+v", out, again, *m)
	}
}

// checkParamsAccess walks params with the field helpers: every member
// ObjectEach reports is what ObjectField finds under its unescaped name.
func checkParamsAccess(t *testing.T, params []byte) {
	t.Helper()
	n := 0
	ObjectEach(params, func(key, val []byte) bool {
		n++
		name := key
		if len(key) > 0 && key[0] == '"' {
			var err error
			if name, err = Unquote(nil, key); err != nil {
				t.Fatalf("ObjectEach gave escaped key %s that does not unquote: %v", key, err)
			}
		}
		got, ok := ObjectField(params, string(name))
		if !ok || !bytes.Equal(got, val) {
			t.Fatalf("ObjectField(%q) = %q, %v; ObjectEach saw %q", name, got, ok, val)
		}
		if Valid(val) != nil {
			t.Fatalf("member value %q is not valid JSON", val)
		}
		return true
	})
	ArrayEach(params, func(val []byte) bool {
		n++
		if Valid(val) != nil {
			t.Fatalf("element %q is not valid JSON", val)
		}
		return true
	})
	var members map[string]json.RawMessage
	var elems []json.RawMessage
	switch {
	case IsObject(params):
		_ = json.Unmarshal(params, &members)
		if n != len(members) {
			t.Fatalf("ObjectEach saw %d members, encoding/json %d", n, len(members))
		}
	case IsArray(params):
		_ = json.Unmarshal(params, &elems)
		if n != len(elems) {
			t.Fatalf("ArrayEach saw %d elements, encoding/json %d", n, len(elems))
		}
	}
}

func FuzzNextLine(f *testing.F) {
	f.Add([]byte("abc\n"), uint16(8))
	f.Add([]byte("abc\r\ndef\n"), uint16(3))
	f.Add([]byte("12345678\r"), uint16(8))
	f.Add([]byte("123456789"), uint16(8))
	f.Add([]byte("\r\n\n"), uint16(1))
	f.Add([]byte(threeMessages), uint16(60))
	f.Fuzz(func(t *testing.T, data []byte, max16 uint16) {
		max := int(max16)%128 + 1
		line, n, err := NextLine(data, max)
		wantLine, wantN, wantErr := referenceNextLine(data, max)
		if err != wantErr || n != wantN || !bytes.Equal(line, wantLine) {
			t.Fatalf("NextLine(%q, %d) = %q, %d, %v; reference %q, %d, %v", data, max, line, n, err, wantLine, wantN, wantErr)
		}
	})
}

// referenceNextLine states NextLine's contract with bytes.IndexByte over the
// whole buffer: a line is too long once no possible ending keeps it within
// max (for a partial line, the best ending is a '\n' right now).
func referenceNextLine(data []byte, max int) ([]byte, int, error) {
	i := bytes.IndexByte(data, '\n')
	if i < 0 {
		if len(bytes.TrimSuffix(data, []byte("\r"))) > max {
			return nil, 0, ErrLineTooLong
		}
		return nil, 0, nil
	}
	line := bytes.TrimSuffix(data[:i], []byte("\r"))
	if len(line) > max {
		return nil, 0, ErrLineTooLong
	}
	return line, i + 1, nil
}

func FuzzUnquote(f *testing.F) {
	for _, s := range []string{`""`, `"a"`, `"\u00e9\ud83d\ude00"`, `"\"\\\/\b\f\n\r\t"`, `"\ud800"`, "\"\xff\"", `"a"b"`, `"\`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, s []byte) {
		out, err := Unquote(nil, s)
		// One string token exactly: valid, opening and closing with quotes
		// (no surrounding whitespace, which Valid would allow).
		valid := Valid(s) == nil && s[0] == '"' && s[len(s)-1] == '"'
		if (err == nil) != valid {
			t.Fatalf("Unquote(%q) err %v, but Valid says string %v", s, err, valid)
		}
		if err != nil {
			return
		}
		var want string
		if json.Unmarshal(s, &want) != nil || want != string(out) {
			t.Fatalf("Unquote(%q) = %q, encoding/json %q", s, out, want)
		}
		if back, err := Unquote(nil, AppendStringBytes(nil, out)); err != nil || !bytes.Equal(back, out) {
			t.Fatalf("AppendString/Unquote round trip of %q = %q, %v", out, back, err)
		}
	})
}
