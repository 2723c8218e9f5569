package codec

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestValid(t *testing.T) {
	// f checks Valid against want ("" for valid, else the parse-error message).
	f := func(in, want string) {
		t.Helper()
		err := Valid([]byte(in))
		if want == "" {
			if err != nil {
				t.Fatalf("Valid(%.60q) = %v, want nil", in, err)
			}
			if !json.Valid([]byte(in)) {
				t.Fatalf("Valid(%.60q) accepted what encoding/json rejects", in)
			}
			return
		}
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeParseError || e.Message != want || e.ID != nil {
			t.Fatalf("Valid(%.60q) = %v, want parse error %q", in, err, want)
		}
	}
	// Any JSON value is one JSON text.
	f(`0`, "")
	f(`-0.5e+10`, "")
	f(`1E-2`, "")
	f(`"x"`, "")
	f(` true `, "")
	f(`false`, "")
	f(`null`, "")
	f(`[]`, "")
	f(`{}`, "")
	f(`[1,{"a":[{},[]]},"s",null]`, "")
	f(`{"a":{"a":{"a":1}}}`, "") // the same key in different objects is fine
	f(`[{"a":1},{"a":1}]`, "")
	f(`{"a\\":1,"a\"":2,"a":3}`, "")
	f(`"\"\\\/\b\f\n\r\t\u00e9\uD83D\uDE00"`, "")
	f("\"\xf0\x9f\x98\x80 \xe2\x82\xac \xc3\xa9 \xef\xbf\xbd\"", "") // 4-, 3-, 2-byte runes, U+FFFD itself
	f(`"\u0000"`, "")                                                // NUL is fine in values
	f(`"`+strings.Repeat("abcdefg", 30)+`"`, "")
	f(`{"":0}`, "")
	f(strings.Repeat("[", MaxDepth)+strings.Repeat("]", MaxDepth), "")

	f(``, msgUnexpectedEnd)
	f(`[`, msgUnexpectedEnd)
	f(`{"a"`, msgUnexpectedEnd)
	f(`{"a":`, msgUnexpectedEnd)
	f(`"abc`, msgUnexpectedEnd)
	f(`tr`, msgUnexpectedEnd)
	f(`-`, msgInvalidNumber)
	f(`1.e3`, msgInvalidNumber)
	f(`1e`, msgInvalidNumber)
	f(`.5`, msgInvalidChar)
	f(`NaN`, msgInvalidChar)
	f(`[1 2]`, msgInvalidChar)
	f(`{"a" 1}`, msgInvalidChar)
	f(`{1:1}`, msgInvalidChar)
	f(`nul1`, msgInvalidChar)
	f(`[1,]`, msgInvalidChar)
	f(`1 2`, msgTrailingData)
	f(`{}x`, msgTrailingData)
	f("\"a\x01\"", msgControlChar)
	f("\"a\x1f\"", msgControlChar)
	f(`"\u12"`, msgInvalidEscape)
	f(`"\U0041"`, msgInvalidEscape)
	f(`"\'"`, msgInvalidEscape)
	f(`"\uDE00"`, msgInvalidEscape)       // lone low surrogate
	f(`"\uD83Dx"`, msgInvalidEscape)      // high surrogate, no pair
	f(`"\uD83D\u0041"`, msgInvalidEscape) // high surrogate, non-surrogate after it
	f("\"\x80\"", msgInvalidUTF8)
	f("\"\xc0\xaf\"", msgInvalidUTF8)         // overlong
	f("\"\xf4\x90\x80\x80\"", msgInvalidUTF8) // above U+10FFFF
	f("\"abcdefgh\xe2\x82\"", msgInvalidUTF8) // cut short
	f(`{"a":1,"a":1}`, msgDuplicateKey)
	f(`{"a":1,"b":2,"\u0061":3}`, msgDuplicateKey)
	f(`{"\u00e9":1,"`+"\xc3\xa9"+`":2}`, msgDuplicateKey)
	f(`{"\u0000":1}`, msgNULKey)
	f(strings.Repeat("[", MaxDepth+1)+strings.Repeat("]", MaxDepth+1), msgTooDeep)
	f(strings.Repeat(`{"a":`, MaxDepth+1)+"1"+strings.Repeat("}", MaxDepth+1), msgTooDeep)
	f(strings.Repeat("[", 100_000), msgTooDeep) // stack stays bounded
}

func TestHasSpecialByte(t *testing.T) {
	for c := range 256 {
		for pos := range 8 {
			w := []byte("abcdefgh")
			w[pos] = byte(c)
			got := hasSpecialByte(uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
				uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56)
			if got != !plainStringByte[c] {
				t.Fatalf("hasSpecialByte with %#x at %d = %v", c, pos, got)
			}
		}
	}
}

// The lowest byte specialBytes flags is the first special byte of the word,
// whatever follows it (a borrow may flag later bytes, never earlier ones).
func TestSpecialBytesLowestIsFirst(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	interesting := []byte{0, 0x1f, 0x20, '"', '\\', 'a', 0x7f, 0x80, 0xff, '!', '#', '[', ']', 0x21, 0x5b, 0x5d}
	for range 200_000 {
		var w [8]byte
		for i := range w {
			if rng.IntN(2) == 0 {
				w[i] = interesting[rng.IntN(len(interesting))]
			} else {
				w[i] = byte(rng.IntN(256))
			}
		}
		want := 8
		for i, c := range w {
			if !plainStringByte[c] {
				want = i
				break
			}
		}
		m := specialBytes(binary.LittleEndian.Uint64(w[:]))
		got := bits.TrailingZeros64(m) >> 3
		if m == 0 {
			got = 8
		}
		if got != want {
			t.Fatalf("specialBytes(% x): first flagged byte %d, want %d", w, got, want)
		}
	}
}

// The key summary only skips comparisons: keys that share its bit but
// differ are accepted, and a duplicate is found wherever it stands, among
// few keys or past the small-object limit, with whitespace around the
// tokens or without.
func TestDuplicateKeysWithSummary(t *testing.T) {
	// "ab" and "xb" (same length and last byte) share a bit; so do the
	// empty key with itself.
	if keyBit([]byte("ab")) != keyBit([]byte("xb")) {
		t.Fatal("test premise: ab and xb share a summary bit")
	}
	for _, in := range []string{
		`{"ab":1,"xb":2}`,
		`{"":1,"a":2}`,
		` { "ab" : 1 , "xb" : 2 , "b" :3} `,
		"{\n\t\"ab\"\r\n:\n\"x\"\n,\n\"xb\"\n:\n{ }\n}",
	} {
		if err := Valid([]byte(in)); err != nil {
			t.Errorf("Valid(%s) = %v", in, err)
		}
	}
	key := func(i int) string { return fmt.Sprintf("k%02d", i) } // one length, many last bytes
	for n := 2; n <= 2*smallObjectKeys+2; n++ {
		for dupAt := 1; dupAt < n; dupAt++ {
			for _, of := range []int{0, dupAt - 1} {
				var b strings.Builder
				b.WriteString("{")
				for i := range n {
					if i > 0 {
						b.WriteString(", ")
					}
					k := key(i)
					if i == dupAt {
						k = key(of)
					}
					fmt.Fprintf(&b, "%q : %d", k, i)
				}
				b.WriteString("}")
				err := Valid([]byte(b.String()))
				var e *Error
				if !errors.As(err, &e) || e.Message != msgDuplicateKey {
					t.Fatalf("Valid(%s) = %v, want a duplicate key", b.String(), err)
				}
			}
		}
	}
	for _, in := range []string{`{"":1,"":2}`, `{"ab":1,"xb":2,"ab":3}`, `{"a":{"b":1},"\u0061":2}`} {
		var e *Error
		if err := Valid([]byte(in)); !errors.As(err, &e) || e.Message != msgDuplicateKey {
			t.Errorf("Valid(%s) = %v, want a duplicate key", in, err)
		}
	}
}
