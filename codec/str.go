package codec

import (
	"math/bits"
	"unicode/utf8"
)

// plainStringByte marks the bytes that stand for themselves inside a JSON
// string: printable ASCII except '"' and '\\'. Every hot loop over string
// contents (validation, unescaping, encoding) skips runs of these with one
// table load per byte and handles only the rest one by one.
var plainStringByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// plainRun returns the index of the first byte at or after i of s that is
// not a plain string byte (len(s) if none): 8 bytes per step, jumping to the
// lowest byte a step flags (see specialBytes).
func plainRun(s string, i int) int {
	for ; i+8 <= len(s); i += 8 {
		if m := specialBytes(word(s, i)); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for i < len(s) && plainStringByte[s[i]] {
		i++
	}
	return i
}

// decodeEscape decodes the escape sequence at the start of b (b[0] == '\\').
// It returns the rune and the number of bytes the sequence used, or n == 0 if
// the sequence is invalid or cut off. A \u escape of a UTF-16 surrogate must be
// a high surrogate followed by a \u escape of a low one: a lone surrogate has
// no UTF-8 form, and RFC 8259 §8.2 leaves its meaning to the implementation,
// so we reject it like encoding/json/v2 does.
func decodeEscape(b []byte) (r rune, n int) {
	if len(b) < 2 {
		return 0, 0
	}
	switch b[1] {
	case '"', '\\', '/':
		return rune(b[1]), 2
	case 'b':
		return '\b', 2
	case 'f':
		return '\f', 2
	case 'n':
		return '\n', 2
	case 'r':
		return '\r', 2
	case 't':
		return '\t', 2
	case 'u':
		r, ok := hex4(b[2:])
		if !ok {
			return 0, 0
		}
		if r < 0xD800 || r > 0xDFFF {
			return r, 6
		}
		if r >= 0xDC00 || len(b) < 12 || b[6] != '\\' || b[7] != 'u' {
			return 0, 0
		}
		lo, ok := hex4(b[8:])
		if !ok || lo < 0xDC00 || lo > 0xDFFF {
			return 0, 0
		}
		return 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00), 12
	}
	return 0, 0
}

// hex4 parses the four hex digits at the start of b.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// appendUnescaped appends the unescaped form of src, the contents of a JSON
// string without its quotes, to dst. It validates as it goes (escapes, UTF-8,
// control characters, unescaped quotes) and reports false on the first
// violation, so it is safe on bytes that never went through the scanner.
func appendUnescaped(dst, src []byte) ([]byte, bool) {
	i := 0
	for i < len(src) {
		start := i
		i = plainRun(b2s(src), i)
		dst = append(dst, src[start:i]...)
		if i == len(src) {
			break
		}
		switch c := src[i]; {
		case c == '\\':
			r, n := decodeEscape(src[i:])
			if n == 0 {
				return dst, false
			}
			dst = utf8.AppendRune(dst, r)
			i += n
		case c < utf8.RuneSelf: // a control character or a bare '"'
			return dst, false
		default:
			r, size := utf8.DecodeRune(src[i:])
			if r == utf8.RuneError && size == 1 {
				return dst, false
			}
			dst = append(dst, src[i:i+size]...)
			i += size
		}
	}
	return dst, true
}
