package codec

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestAppendString(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		if got := string(AppendString([]byte("x"), in)); got != "x"+want {
			t.Fatalf("AppendString(%q) = %s, want %s", in, got[1:], want)
		}
		if got := string(AppendStringBytes(nil, []byte(in))); got != want {
			t.Fatalf("AppendStringBytes(%q) = %s, want %s", in, got, want)
		}
	}
	f("", `""`)
	f("plain text", `"plain text"`)
	f(`quote " backslash \ slash /`, `"quote \" backslash \\ slash /"`)
	f("\n\r\t\b\f", `"\n\r\t\b\f"`)
	f("\x00\x01\x1f\x7f", `"\u0000\u0001\u001f`+"\x7f"+`"`)
	f("<script>&amp;</script>", `"<script>&amp;</script>"`) // no HTML escaping
	f("\u2028\u2029", "\"\u2028\u2029\"")                   // valid JSON as is
	f("héllo 日本 😀", `"héllo 日本 😀"`)
	f("a\xffb", `"a\ufffdb"`)
	f("\xc3", `"\ufffd"`)
	f("\xed\xa0\x80", `"\ufffd\ufffd\ufffd"`) // an encoded surrogate is invalid UTF-8
	f("\xef\xbf\xbd", "\"\ufffd\"")           // a real U+FFFD stays raw
}

func TestAppendStringRoundTrip(t *testing.T) {
	f := func(in string) {
		t.Helper()
		enc := AppendString(nil, in)
		if !utf8.Valid(enc) || Valid(enc) != nil {
			t.Fatalf("AppendString(%q) = %s is not valid", in, enc)
		}
		var got string
		if err := json.Unmarshal(enc, &got); err != nil {
			t.Fatalf("encoding/json cannot read %s: %v", enc, err)
		}
		if want := strings.ToValidUTF8(in, "\ufffd"); utf8.ValidString(in) && got != want {
			t.Fatalf("round trip of %q = %q", in, got)
		}
		uq, err := Unquote(nil, enc)
		if err != nil || string(uq) != got {
			t.Fatalf("Unquote(%s) = %q, %v; encoding/json read %q", enc, uq, err, got)
		}
	}
	var all strings.Builder
	for c := range 128 {
		all.WriteByte(byte(c))
	}
	f(all.String())
	f("mixed \x00 é \u2028 😀 \"\\ </tag>")
	f("bad \xff\xfe utf8 \xc3")
}

func TestAppendEnvelopes(t *testing.T) {
	f := func(got []byte, want string) {
		t.Helper()
		if string(got) != want {
			t.Fatalf("got  %s\nwant %s", got, want)
		}
		if !json.Valid(got) || Valid(got) != nil {
			t.Fatalf("not valid JSON: %s", got)
		}
		var d Decoder
		var m Message
		if err := d.Decode(got, &m); err != nil {
			t.Fatalf("Decode(%s): %v", got, err)
		}
	}
	id := []byte(`"req-1"`)
	f(AppendResponse(nil, id, []byte(`{"tools":[]}`)), `{"jsonrpc":"2.0","id":"req-1","result":{"tools":[]}}`)
	f(AppendResponse(nil, []byte("12345678901234567890"), nil), `{"jsonrpc":"2.0","id":12345678901234567890,"result":null}`)
	f(AppendResultTail(append(AppendResultHead(nil, []byte("7")), "{}"...)), `{"jsonrpc":"2.0","id":7,"result":{}}`)
	f(AppendError(nil, id, CodeMethodNotFound, `no "x" <here>`, nil),
		`{"jsonrpc":"2.0","id":"req-1","error":{"code":-32601,"message":"no \"x\" <here>"}}`)
	f(AppendError(nil, []byte("1"), CodeServerBusy, "server busy", []byte(`{"retryAfterMs":50}`)),
		`{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"server busy","data":{"retryAfterMs":50}}}`)
	f(AppendNotification(nil, "notifications/progress", []byte(`{"progress":1}`)),
		`{"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}}`)
	f(AppendNotification(nil, "notifications/tools/list_changed", nil),
		`{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}`)
	f(AppendRequest(nil, []byte("3"), "sampling/createMessage", []byte(`{"maxTokens":10}`)),
		`{"jsonrpc":"2.0","id":3,"method":"sampling/createMessage","params":{"maxTokens":10}}`)
	f(AppendRequest(nil, []byte(`"p"`), "ping", nil), `{"jsonrpc":"2.0","id":"p","method":"ping"}`)

	// A nil id is null: the error answers a message whose id was unreadable.
	got := AppendError([]byte("prefix "), nil, CodeParseError, "parse error", nil)
	if want := `prefix {"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}`; string(got) != want {
		t.Fatalf("got %s", got)
	}
}

type encodeSample struct {
	Text  string         `json:"text"`
	Num   int64          `json:"num"`
	Map   map[string]int `json:"map,omitempty"`
	Inner *encodeSample  `json:"inner,omitempty"`
}

func TestAppendJSON(t *testing.T) {
	v := &encodeSample{Text: "a<b>&c \xff", Num: 1 << 60, Inner: &encodeSample{Text: "é"}}
	dst := make([]byte, 0, 256)
	dst = append(dst, "head\xff:"...) // the caller's bytes are not rewritten
	out, err := AppendJSON(dst, v)
	if err != nil {
		t.Fatal(err)
	}
	want := "head\xff:" + `{"text":"a<b>&c \ufffd","num":1152921504606846976,"inner":{"text":"é","num":0}}`
	if string(out) != want {
		t.Fatalf("AppendJSON = %s\nwant          %s", out, want)
	}
	if &out[0] != &dst[:1][0] {
		t.Fatal("AppendJSON moved a buffer that had room")
	}

	// Growing past the capacity still appends correctly.
	small := []byte("ab")
	out, err = AppendJSON(small[:2:2], []string{strings.Repeat("x", 100)})
	if err != nil || string(out) != `ab["`+strings.Repeat("x", 100)+`"]` {
		t.Fatalf("AppendJSON into a full buffer = %s, %v", out, err)
	}

	// An error leaves dst as it was.
	out, err = AppendJSON([]byte("keep"), math.Inf(1))
	if err == nil || string(out) != "keep" {
		t.Fatalf("AppendJSON(+Inf) = %s, %v; want an error and dst unchanged", out, err)
	}
}

func TestPretouch(t *testing.T) {
	if err := Pretouch(reflect.TypeFor[encodeSample](), reflect.TypeFor[[]string]()); err != nil {
		t.Fatal(err)
	}
}

func TestUnmarshal(t *testing.T) {
	data := []byte(`{"text":"hello","num":5,"Text":"ignored-case","unknown":{"x":[1]}}`)
	var v encodeSample
	if err := Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	if v.Text != "hello" || v.Num != 5 {
		t.Fatalf("Unmarshal = %+v", v)
	}
	// Case-sensitive: "TEXT" does not fill the field tagged "text".
	var w encodeSample
	if err := Unmarshal([]byte(`{"TEXT":"x"}`), &w); err != nil || w.Text != "" {
		t.Fatalf("case-insensitive match: %+v, %v", w, err)
	}
	// The input is copied: reusing the buffer does not change decoded strings.
	for i := range data {
		data[i] = 'Z'
	}
	if v.Text != "hello" {
		t.Fatalf("decoded string aliases the input: %q", v.Text)
	}
	// Control characters in strings are refused.
	if err := Unmarshal([]byte("{\"text\":\"a\x01\"}"), &w); err == nil {
		t.Fatal("control character accepted")
	}
}

// Runs of plain bytes are copied 8 at a time: a byte that needs escaping,
// a multi-byte character or an invalid byte is found at every position of
// a long string, and Unquote reads each back.
func TestAppendStringEveryPosition(t *testing.T) {
	for _, special := range []string{`"`, `\`, "\n", "\x01", "\x1f", "é", "😀", "\xff"} {
		for i := range 24 {
			in := strings.Repeat("a", i) + special + strings.Repeat("b", 24-i)
			enc := AppendString(nil, in)
			want, err := json.Marshal(strings.ToValidUTF8(in, "\ufffd"))
			if err != nil {
				t.Fatal(err)
			}
			var got, back string
			if json.Unmarshal(enc, &got) != nil || json.Unmarshal(want, &back) != nil || got != back {
				t.Fatalf("AppendString(%q) = %s, encoding/json reads %q, want %q", in, enc, got, back)
			}
			if uq, err := Unquote(nil, enc); err != nil || string(uq) != got {
				t.Fatalf("Unquote(%s) = %q, %v", enc, uq, err)
			}
		}
	}
}
