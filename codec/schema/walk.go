package schema

import (
	"bytes"
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"
)

// This file is a tiny walker over JSON text that is already known to be
// valid (the codec checked it). It never builds a tree: every function
// takes the raw bytes and an offset and returns spans of the same slice, so
// walking allocates nothing. On malformed input the functions stay inside
// the slice bounds and return garbage spans instead of panicking; the
// validator's verdict is then meaningless but the process survives.

// jsonKind is the JSON type of a value, told by its first byte.
type jsonKind uint8

const (
	kindInvalid jsonKind = iota
	kindNull
	kindTrue
	kindFalse
	kindNumber
	kindString
	kindArray
	kindObject
)

// kindOf classifies the value starting with byte c.
func kindOf(c byte) jsonKind {
	switch c {
	case '{':
		return kindObject
	case '[':
		return kindArray
	case '"':
		return kindString
	case 't':
		return kindTrue
	case 'f':
		return kindFalse
	case 'n':
		return kindNull
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return kindNumber
	}
	return kindInvalid
}

// valueKind is kindOf for a whole value span (empty spans are invalid).
func valueKind(v []byte) jsonKind {
	if len(v) == 0 {
		return kindInvalid
	}
	return kindOf(v[0])
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// skipSpace returns the index of the first non-whitespace byte at or after i.
// Instances are mostly compact, so the byte looked at is usually a token:
// any byte above ' ' is one, told by one comparison instead of four.
func skipSpace(b []byte, i int) int {
	for i < len(b) && b[i] <= ' ' && isSpace(b[i]) {
		i++
	}
	return i
}

// trimValue strips the whitespace around one JSON text.
func trimValue(b []byte) []byte {
	// Values handed over by the codec are trimmed already: two byte tests
	// instead of the two loops.
	if len(b) > 0 && b[0] > ' ' && b[len(b)-1] > ' ' {
		return b
	}
	i := skipSpace(b, 0)
	j := len(b)
	for j > i && isSpace(b[j-1]) {
		j--
	}
	return b[i:j]
}

// stringEnd returns the index just after the string whose opening quote is
// at b[i].
func stringEnd(b []byte, i int) int {
	end, _ := stringEndEscaped(b, i)
	return end
}

// stringEndEscaped is stringEnd that also tells whether the string holds a
// backslash. Arguments are mostly plain text: 8 bytes per step, jumping to
// the first quote or backslash of a step (the lowest byte the exact
// zero-byte test flags; a borrow flags only bytes above it).
func stringEndEscaped(b []byte, i int) (end int, escaped bool) {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i++
	for {
		for i+8 <= len(b) {
			w := word(b, i)
			q, bs := w^(ones*'"'), w^(ones*'\\')
			// q and bs have w's high bits (the constants are ASCII), so
			// one &^ w does what &^ q and &^ bs would.
			if m := ((q - ones) | (bs - ones)) &^ w & highs; m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				goto found
			}
			i += 8
		}
		for i < len(b) && b[i] != '"' && b[i] != '\\' {
			i++
		}
	found:
		if i >= len(b) {
			return len(b), escaped
		}
		if b[i] == '"' {
			return i + 1, escaped
		}
		escaped = true
		i += 2
	}
}

// valueEnd returns the index just after the value starting at b[i]. A
// container is skipped with a depth counter instead of recursion: the
// instance depth is bounded by the codec, not by this stack.
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return len(b)
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = stringEnd(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return len(b)
	}
	// Numbers and literals end at a delimiter.
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return len(b)
}

// members iterates the members of an object value. Keys are returned as raw
// string tokens, quotes included, so a key can itself be validated as a
// string instance (propertyNames) or compared with escapes resolved.
type members struct {
	b []byte
	i int
	// escaped: the key next returned last holds a backslash (so its name
	// needs unescaping); found in the same walk that finds its end.
	escaped bool
}

func newMembers(obj []byte) members { return members{b: obj, i: 1} }

// next returns the next key token and value span; ok is false at the end.
func (it *members) next() (key, val []byte, ok bool) {
	b := it.b
	i := skipSpace(b, it.i)
	if i < len(b) && b[i] == ',' {
		i = skipSpace(b, i+1)
	}
	if i >= len(b) || b[i] != '"' {
		it.i = len(b)
		return nil, nil, false
	}
	ke, escaped := stringEndEscaped(b, i)
	it.escaped = escaped
	key = b[i:ke]
	i = skipSpace(b, ke)
	if i < len(b) && b[i] == ':' {
		i++
	}
	i = skipSpace(b, i)
	ve := valueEnd(b, i)
	it.i = ve
	return key, b[i:ve], len(key) >= 2
}

// elements iterates the elements of an array value.
type elements struct {
	b []byte
	i int
}

func newElements(arr []byte) elements { return elements{b: arr, i: 1} }

// next returns the next element span; ok is false at the end.
func (it *elements) next() (val []byte, ok bool) {
	b := it.b
	i := skipSpace(b, it.i)
	if i < len(b) && b[i] == ',' {
		i = skipSpace(b, i+1)
	}
	if i >= len(b) || b[i] == ']' || b[i] == '}' {
		it.i = len(b)
		return nil, false
	}
	ve := valueEnd(b, i)
	if ve == i { // a stray byte: never loop on it
		ve++
	}
	it.i = ve
	return b[i:ve], true
}

// stringContent strips the quotes from a string token; escapes remain.
func stringContent(tok []byte) []byte {
	if len(tok) < 2 {
		return nil
	}
	return tok[1 : len(tok)-1]
}

// hasEscape reports whether string content needs unescaping.
func hasEscape(content []byte) bool {
	return bytes.IndexByte(content, '\\') >= 0
}

// nextRune decodes the character at content[i], resolving escapes. A lone
// UTF-16 surrogate decodes to U+FFFD, as encoding/json does.
func nextRune(content []byte, i int) (r rune, next int) {
	c := content[i]
	if c < utf8.RuneSelf && c != '\\' {
		return rune(c), i + 1
	}
	if c != '\\' {
		r, size := utf8.DecodeRune(content[i:])
		return r, i + size
	}
	if i+1 >= len(content) {
		return utf8.RuneError, len(content)
	}
	switch content[i+1] {
	case 'b':
		return '\b', i + 2
	case 'f':
		return '\f', i + 2
	case 'n':
		return '\n', i + 2
	case 'r':
		return '\r', i + 2
	case 't':
		return '\t', i + 2
	case 'u':
		r1, ok := hex4(content, i+2)
		if !ok {
			return utf8.RuneError, len(content)
		}
		next = i + 6
		if !utf16.IsSurrogate(r1) {
			return r1, next
		}
		if next+1 < len(content) && content[next] == '\\' && content[next+1] == 'u' {
			if r2, ok := hex4(content, next+2); ok {
				if r := utf16.DecodeRune(r1, r2); r != utf8.RuneError {
					return r, next + 6
				}
			}
		}
		return utf8.RuneError, next
	default: // '"', '\\', '/'
		return rune(content[i+1]), i + 2
	}
}

// hex4 decodes the four hex digits at b[i:i+4].
func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// appendUnescaped appends the decoded string content to dst.
func appendUnescaped(dst, content []byte) []byte {
	for i := 0; i < len(content); {
		j := bytes.IndexByte(content[i:], '\\')
		if j < 0 {
			return append(dst, content[i:]...)
		}
		dst = append(dst, content[i:i+j]...)
		var r rune
		r, i = nextRune(content, i+j)
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}

// runeCount counts the code points of string content (minLength/maxLength
// count code points, not bytes or UTF-16 units).
func runeCount(content []byte) int {
	if !hasEscape(content) {
		return utf8.RuneCount(content)
	}
	n := 0
	for i := 0; i < len(content); n++ {
		_, i = nextRune(content, i)
	}
	return n
}

// equalContent reports whether two string contents decode to the same text.
func equalContent(a, b []byte) bool {
	if !hasEscape(a) && !hasEscape(b) {
		return bytes.Equal(a, b)
	}
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		var ra, rb rune
		ra, i = nextRune(a, i)
		rb, j = nextRune(b, j)
		if ra != rb {
			return false
		}
	}
	return i == len(a) && j == len(b)
}
