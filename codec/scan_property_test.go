package codec

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// Property tests of the scanner on generated messages: the fuzz targets
// start from a few seeds and mostly find short inputs, while these build
// whole envelopes (params, _meta, arguments recorded by the Index, nested
// values, strings long enough for the 8-byte steps, escaped and duplicate
// keys) with JSON whitespace of every kind between any two tokens, so the
// paths that carry a position past whitespace, keys and values run in plain
// `go test` too.

// jsonWriter writes one JSON text, putting random whitespace (or none)
// between tokens.
type jsonWriter struct {
	rng   *rand.Rand // draws the values
	space *rand.Rand // draws the whitespace; nil: none, compact
	out   []byte
}

var jsonSpaces = []string{" ", "\t", "\n", "\r", "  ", "\r\n", " \t\n\r "}

func (w *jsonWriter) ws() {
	if w.space != nil && w.space.IntN(3) == 0 {
		w.out = append(w.out, jsonSpaces[w.space.IntN(len(jsonSpaces))]...)
	}
}

func (w *jsonWriter) tok(s string) {
	w.ws()
	w.out = append(w.out, s...)
	w.ws()
}

// stringPieces are the parts generated strings are made of: plain runs
// shorter and longer than a word, every escape, multi-byte UTF-8, and the
// bytes the 8-byte steps look for at every offset.
var stringPieces = []string{
	"a", "ab", "abcdefg", "abcdefgh", "the quick brown fox jumps", "x y", "/",
	`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`, `\u0041`, `\u00e9`, `\ud83d\ude00`, `\u0000`,
	"é", "世界", "😀", "\u007f", "~",
}

func (w *jsonWriter) str(maxPieces int) {
	var b strings.Builder
	b.WriteByte('"')
	for range w.rng.IntN(maxPieces + 1) {
		b.WriteString(stringPieces[w.rng.IntN(len(stringPieces))])
	}
	b.WriteByte('"')
	w.tok(b.String())
}

var numbers = []string{"0", "-0", "7", "-12", "3.25", "1e5", "-2.5E-3", "12345678901234567890", "0.0001e+2"}

// keyNames are few on purpose, so that objects repeat keys now and then
// (written as they are or escaped: "\u0061" is "a") and must be refused.
var keyNames = []string{`"a"`, `"b"`, `"\u0061"`, `"name"`, `"_meta"`, `"arguments"`, `"k\u00e9"`, `"ké"`, `"c"`, `"d"`}

func (w *jsonWriter) value(depth int) {
	n := 6
	if depth <= 0 {
		n = 4 // no containers
	}
	switch w.rng.IntN(n) {
	case 0:
		w.str(6)
	case 1:
		w.tok(numbers[w.rng.IntN(len(numbers))])
	case 2:
		w.tok([]string{"true", "false", "null"}[w.rng.IntN(3)])
	case 3:
		w.str(2)
	case 4:
		w.tok("[")
		for i := range w.rng.IntN(4) {
			if i > 0 {
				w.tok(",")
			}
			w.value(depth - 1)
		}
		w.tok("]")
	case 5:
		w.object(depth-1, w.rng.IntN(5), nil)
	}
}

// object writes an object of n members with keys drawn from keyNames, then
// the members named in extra (key and a function writing its value).
func (w *jsonWriter) object(depth, n int, extra []member) {
	w.tok("{")
	first := true
	comma := func() {
		if !first {
			w.tok(",")
		}
		first = false
	}
	for range n {
		comma()
		w.tok(keyNames[w.rng.IntN(len(keyNames))])
		w.tok(":")
		w.value(depth)
	}
	for _, m := range extra {
		comma()
		w.tok(m.key)
		w.tok(":")
		m.value()
	}
	w.tok("}")
}

type member struct {
	key   string
	value func()
}

// envelope writes a JSON-RPC message whose members come in a random order;
// params, when it is an object, has a name, _meta and arguments (which the
// Decoder records) more often than not.
func (w *jsonWriter) envelope() {
	ms := []member{
		{`"jsonrpc"`, func() { w.tok(`"2.0"`) }},
		{`"id"`, func() { w.tok(strconv.Itoa(w.rng.IntN(1000))) }},
		{`"method"`, func() { w.tok(`"tools/call"`) }},
	}
	switch w.rng.IntN(6) {
	case 0: // no params
	case 1:
		ms = append(ms, member{`"params"`, func() { w.value(3) }})
	default:
		ms = append(ms, member{`"params"`, func() {
			var inner []member
			if w.rng.IntN(4) > 0 {
				inner = append(inner, member{`"name"`, func() { w.str(3) }})
			}
			if w.rng.IntN(4) > 0 {
				inner = append(inner, member{`"arguments"`, func() { w.object(2, w.rng.IntN(4), nil) }})
			}
			if w.rng.IntN(3) > 0 {
				inner = append(inner, member{`"_meta"`, func() {
					w.object(1, w.rng.IntN(3), []member{{`"progressToken"`, func() { w.value(0) }}})
				}})
			}
			w.rng.Shuffle(len(inner), func(i, j int) { inner[i], inner[j] = inner[j], inner[i] })
			w.object(2, w.rng.IntN(2), inner)
		}})
	}
	if w.rng.IntN(8) == 0 {
		ms = append(ms, member{keyNames[w.rng.IntN(len(keyNames))], func() { w.value(2) }})
	}
	w.rng.Shuffle(len(ms), func(i, j int) { ms[i], ms[j] = ms[j], ms[i] })
	w.object(0, 0, ms)
}

// generated returns one generated message twice, compact and with
// whitespace between tokens: the values are drawn from the same sequence
// for both, the whitespace from a sequence of its own.
func generated(seed uint64) (compact, spaced []byte) {
	c := jsonWriter{rng: rand.New(rand.NewPCG(seed, 1))}
	c.envelope()
	s := jsonWriter{rng: rand.New(rand.NewPCG(seed, 1)), space: rand.New(rand.NewPCG(seed, 2))}
	s.envelope()
	return c.out, s.out
}

// propertySeeds is how many messages the property tests generate: enough to
// reach every member order and piece many times, little enough for -race.
const propertySeeds = 3000

// Whitespace between tokens changes nothing but the spans: a generated
// message decodes (or is refused) the same compact and spaced, and both
// readings hold every property FuzzDecode and the encoding/json/v2 oracle
// check, the Index's included.
func TestScannerGeneratedMessages(t *testing.T) {
	accepted := 0
	for seed := range uint64(propertySeeds) {
		compact, spaced := generated(seed)
		for _, line := range [][]byte{compact, spaced} {
			checkDecode(t, line)
			checkAgainstJSONv2(t, line)
		}
		var dc, ds Decoder
		var mc, ms Message
		errC, errS := dc.Decode(compact, &mc), ds.Decode(spaced, &ms)
		if (errC == nil) != (errS == nil) || errC != nil && errC.Error() != errS.Error() {
			t.Fatalf("seed %d: compact %s: %v; spaced %q: %v", seed, compact, errC, spaced, errS)
		}
		if errC != nil {
			continue
		}
		accepted++
		if mc.Kind != ms.Kind || !bytes.Equal(mc.Method, ms.Method) || !bytes.Equal(mc.ID, ms.ID) ||
			!bytes.Equal(mc.Params, compacted(t, ms.Params)) {
			t.Fatalf("seed %d: compact %s decodes to %+v, spaced %q to %+v", seed, compact, mc, spaced, ms)
		}
	}
	// The generator repeats keys now and then; most messages must still be
	// valid, or the properties above were checked on refusals only.
	if accepted < propertySeeds/2 {
		t.Fatalf("only %d of %d generated messages accepted", accepted, propertySeeds)
	}
}

// compacted is b without whitespace between tokens (nil stays nil).
func compacted(t *testing.T, b []byte) []byte {
	t.Helper()
	if b == nil {
		return nil
	}
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		t.Fatalf("json.Compact(%q): %v", b, err)
	}
	return out.Bytes()
}

// A cut or damaged message is judged as the oracle judges it: every prefix
// of the first messages, then random prefixes and one-byte changes
// (replaced, inserted, deleted) with the bytes that matter to the scanner.
func TestScannerCutAndDamagedMessages(t *testing.T) {
	damage := []byte{'"', '\\', ',', ':', '{', '}', '[', ']', ' ', '\n', 0x01, 0x7f, 0xc3, 0xff, 'x', '0', 'e', '-', 'u'}
	rng := rand.New(rand.NewPCG(3, 4))
	check := func(line []byte) {
		t.Helper()
		checkDecode(t, line)
		checkAgainstJSONv2(t, line)
	}
	for seed := range uint64(propertySeeds / 5) {
		_, spaced := generated(seed)
		if seed < 20 {
			whole := len(bytes.TrimRight(spaced, " \t\r\n"))
			for k := range len(spaced) {
				if k < whole && Valid(spaced[:k]) == nil {
					t.Fatalf("prefix %q of %q accepted", spaced[:k], spaced)
				}
				check(spaced[:k])
			}
		}
		for range 10 {
			k := rng.IntN(len(spaced))
			check(spaced[:k])
			c := damage[rng.IntN(len(damage))]
			replaced := bytes.Clone(spaced)
			replaced[k] = c
			check(replaced)
			check(append(append(append([]byte(nil), spaced[:k]...), c), spaced[k:]...))
			check(append(append([]byte(nil), spaced[:k]...), spaced[k+1:]...))
		}
	}
}

// skipWS stops at the first byte that is not one of JSON's four whitespace
// bytes, for every byte value at every distance from the start.
func TestSkipWS(t *testing.T) {
	isWS := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
	for c := range 256 {
		for lead := range 10 {
			b := []byte(strings.Repeat(" \t\r\n", 3)[:lead] + string([]byte{byte(c)}) + " x")
			want := lead
			for want < len(b) && isWS(b[want]) {
				want++
			}
			for from := range lead + 1 {
				if got := skipWS(b, from); got != want {
					t.Fatalf("skipWS(%q, %d) = %d, want %d", b, from, got, want)
				}
			}
		}
	}
	if got := skipWS([]byte(" \t"), 0); got != 2 {
		t.Fatalf("skipWS of whitespace only = %d, want its length 2", got)
	}
}
