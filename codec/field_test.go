package codec

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func TestObjectField(t *testing.T) {
	// f looks key up in obj; want "" means absent.
	f := func(obj, key, want string) {
		t.Helper()
		val, ok := ObjectField([]byte(obj), key)
		if ok != (want != "") || string(val) != want {
			t.Fatalf("ObjectField(%s, %q) = %q, %v; want %q", obj, key, val, ok, want)
		}
	}
	const params = ` { "name" : "get_weather" , "arguments":{"name":"inner","n":[1,{"x":"}"}]},` +
		`"q\"uote":1, "t\u0061sk": {"ttl":5}, "n":-1.5e3, "b":true, "z":null, "s":"a\"b\\"}`
	f(params, "name", `"get_weather"`)
	f(params, "arguments", `{"name":"inner","n":[1,{"x":"}"}]}`)
	f(params, `q"uote`, "1")
	f(params, "task", `{"ttl":5}`) // escaped key matches its unescaped form
	f(params, "n", "-1.5e3")
	f(params, "b", "true")
	f(params, "z", "null")
	f(params, "s", `"a\"b\\"`)
	f(params, "Name", "")       // case-sensitive
	f(params, "inner", "")      // only top-level members
	f(params, "ttl", "")        // not nested ones
	f(params, "t\\u0061sk", "") // the raw spelling is not the key
	f(`{}`, "a", "")
	f(`[{"a":1}]`, "a", "")
	f(`"a"`, "a", "")
	f(``, "a", "")
	f(`{"a":`, "a", "")
	f(`{"a":1`, "a", "1")
	f(`{"`+strings.Repeat("k", 200)+`":1}`, strings.Repeat("k", 200), "1")
	f(`{"\u006b`+strings.Repeat("k", 199)+`":1}`, strings.Repeat("k", 200), "1")
}

func TestObjectEach(t *testing.T) {
	var got []string
	ObjectEach([]byte(`{"a":1, "b\n":[2,3] ,"c":{"d":"}"}}`), func(key, val []byte) bool {
		got = append(got, string(key)+"="+string(val))
		return true
	})
	want := `a=1|"b\n"=[2,3]|c={"d":"}"}`
	if s := strings.Join(got, "|"); s != want {
		t.Fatalf("ObjectEach = %s, want %s", s, want)
	}
	n := 0
	ObjectEach([]byte(`{"a":1,"b":2}`), func(key, val []byte) bool { n++; return false })
	if n != 1 {
		t.Fatalf("ObjectEach did not stop: %d calls", n)
	}
	ObjectEach([]byte(`[1]`), func(key, val []byte) bool { t.Fatal("called on an array"); return true })
}

func TestArrayEach(t *testing.T) {
	f := func(arr, want string) {
		t.Helper()
		var got []string
		ArrayEach([]byte(arr), func(val []byte) bool {
			got = append(got, string(val))
			return true
		})
		if s := strings.Join(got, "|"); s != want {
			t.Fatalf("ArrayEach(%s) = %s, want %s", arr, s, want)
		}
	}
	f(`[]`, "")
	f(` [ 1 , "a]" , [2,[3]] , {"k":"v"} , null ] `, `1|"a]"|[2,[3]]|{"k":"v"}|null`)
	f(`{"a":1}`, "")
	f(`[1,`, "1")
}

func TestUnquote(t *testing.T) {
	f := func(in, want string, wantErr bool) {
		t.Helper()
		got, err := Unquote([]byte("prefix:"), []byte(in))
		if wantErr {
			if err != ErrInvalidString || string(got) != "prefix:" {
				t.Fatalf("Unquote(%q) = %q, %v; want ErrInvalidString and dst unchanged", in, got, err)
			}
			return
		}
		if err != nil || string(got) != "prefix:"+want {
			t.Fatalf("Unquote(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	f(`""`, "", false)
	f(`"plain"`, "plain", false)
	f(`"a\"b\\c\/d\b\f\n\r\t"`, "a\"b\\c/d\b\f\n\r\t", false)
	f(`"\u00e9\u20AC\ud83d\ude00"`, "é€😀", false)
	f(`"\u0000"`, "\x00", false)
	f("\"日本\"", "日本", false)
	f(`x`, "", true)
	f(`"`, "", true)
	f(`"abc`, "", true)
	f(`abc"`, "", true)
	f(`"a"b"`, "", true)
	f(`"abc\"`, "", true)
	f(`"\x"`, "", true)
	f(`"\ud800"`, "", true)
	f("\"\xff\"", "", true)
	f("\"a\nb\"", "", true)
}

func TestIsKind(t *testing.T) {
	f := func(v string, str, null, obj, arr bool) {
		t.Helper()
		b := []byte(v)
		if IsString(b) != str || IsNull(b) != null || IsObject(b) != obj || IsArray(b) != arr {
			t.Fatalf("%q: IsString %v IsNull %v IsObject %v IsArray %v", v, IsString(b), IsNull(b), IsObject(b), IsArray(b))
		}
	}
	f(`"s"`, true, false, false, false)
	f(`null`, false, true, false, false)
	f(`{}`, false, false, true, false)
	f(`[]`, false, false, false, true)
	f(`1`, false, false, false, false)
	f(``, false, false, false, false)
	f(`nul`, false, false, false, false)
}

// stringEnd (8 bytes per step) finds the same end as a byte-by-byte walk,
// and says whether a backslash came before it, wherever the quotes and
// backslashes fall relative to the steps; on an unterminated string it
// returns -1 and never reads past the slice.
func TestStringEndMatchesByteWalk(t *testing.T) {
	ref := func(b []byte, i int) (int, bool) {
		escaped := false
		for i++; i < len(b); i++ {
			switch b[i] {
			case '\\':
				escaped = true
				i++
			case '"':
				return i + 1, escaped
			}
		}
		return -1, escaped
	}
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []byte{'a', 'b', '"', '\\', 0x80, 0xff, ' ', 'n'}
	for range 100_000 {
		b := make([]byte, 1+rng.IntN(40))
		b[0] = '"'
		for i := 1; i < len(b); i++ {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		wantEnd, wantEsc := ref(b, 0)
		gotEnd, gotEsc := stringEnd(b, 0)
		if gotEnd != wantEnd || (wantEnd > 0 && gotEsc != wantEsc) {
			t.Fatalf("stringEnd(%q) = %d, %v; want %d, %v", b, gotEnd, gotEsc, wantEnd, wantEsc)
		}
	}
}
