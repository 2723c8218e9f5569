package uritemplate

import (
	"strings"
	"unicode/utf8"
)

// Character classes of RFC 3986 §2 and RFC 6570 §1.5 and §2.1.
const (
	classUnreserved = 1 << iota // ALPHA / DIGIT / "-" / "." / "_" / "~"
	classReserved               // gen-delims / sub-delims
	classHex                    // HEXDIG, either case
	classLiteral                // ASCII characters a template literal may hold as is
	classVarchar                // ALPHA / DIGIT / "_" (pct-encoded handled apart)
)

var charClass = buildCharClass()

func buildCharClass() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		switch {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
			t[c] |= classUnreserved | classVarchar
		}
		if '0' <= b && b <= '9' || 'a' <= b && b <= 'f' || 'A' <= b && b <= 'F' {
			t[c] |= classHex
		}
		// RFC 6570 §2.1: any ASCII printable except SP " ' % < > \ ^ ` { | }
		// ('%' only as part of a pct-encoded triplet, checked by the parser).
		if 0x21 <= b && b <= 0x7e && !strings.ContainsRune("\"'%<>\\^`{|}", rune(b)) {
			t[c] |= classLiteral
		}
	}
	for _, b := range []byte("-._~") {
		t[b] |= classUnreserved
	}
	t['_'] |= classVarchar
	for _, b := range []byte(":/?#[]@!$&'()*+,;=") {
		t[b] |= classReserved
	}
	return t
}

func isHex(b byte) bool { return charClass[b]&classHex != 0 }

const upperHex = "0123456789ABCDEF"

func unhex(b byte) byte {
	switch {
	case b <= '9':
		return b - '0'
	case b <= 'F':
		return b - 'A' + 10
	default:
		return b - 'a' + 10
	}
}

// emitsRaw reports whether an expansion copies b unencoded: unreserved
// characters always, reserved ones only for the + and # operators.
func emitsRaw(reserved bool, b byte) bool {
	if reserved {
		return charClass[b]&(classUnreserved|classReserved) != 0
	}
	return charClass[b]&classUnreserved != 0
}

// appendEncoded appends s encoded for an operator's allowed set (RFC 6570
// §3.2.1): characters outside it become %XX per byte, so bytes that are not
// valid UTF-8 survive a decode unchanged. With reserved set, pct-encoded
// triplets already in s are copied through.
func appendEncoded(dst []byte, s string, reserved bool) []byte {
	for i := 0; i < len(s); i++ {
		b := s[i]
		switch {
		case emitsRaw(reserved, b):
			dst = append(dst, b)
		case reserved && b == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			dst = append(dst, s[i:i+3]...)
			i += 2
		default:
			dst = append(dst, '%', upperHex[b>>4], upperHex[b&15])
		}
	}
	return dst
}

// pctDecode decodes %XX triplets (either case). Without a '%' it returns s
// itself, so the common case does not allocate. ok is false for a '%' that
// does not start a triplet: no expansion produces one.
func pctDecode(s string) (string, bool) {
	i := strings.IndexByte(s, '%')
	if i < 0 {
		return s, true
	}
	buf := make([]byte, 0, len(s))
	buf = append(buf, s[:i]...)
	for ; i < len(s); i++ {
		b := s[i]
		if b != '%' {
			buf = append(buf, b)
			continue
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return "", false
		}
		buf = append(buf, unhex(s[i+1])<<4|unhex(s[i+2]))
		i += 2
	}
	return string(buf), true
}

// hasTriplet reports whether s contains a pct-encoded triplet.
func hasTriplet(s string) bool {
	for i := strings.IndexByte(s, '%'); i >= 0 && i+2 < len(s); {
		if isHex(s[i+1]) && isHex(s[i+2]) {
			return true
		}
		j := strings.IndexByte(s[i+1:], '%')
		if j < 0 {
			return false
		}
		i += 1 + j
	}
	return false
}

// encodedContains reports whether appendEncoded(nil, v, reserved) would hold
// a byte of set, without building it. Used by Match to refuse values whose
// re-expansion would end their run at a different place.
func encodedContains(v string, reserved bool, set *byteSet) bool {
	if set.empty() {
		return false
	}
	for i := 0; i < len(v); i++ {
		b := v[i]
		if emitsRaw(reserved, b) {
			if set.has(b) {
				return true
			}
			continue
		}
		if set.has('%') || set.has(upperHex[b>>4]) || set.has(upperHex[b&15]) {
			return true
		}
	}
	return false
}

// byteSet is a set of bytes, one bit each.
type byteSet [4]uint64

func (s *byteSet) add(b byte)       { s[b>>6] |= 1 << (b & 63) }
func (s *byteSet) remove(b byte)    { s[b>>6] &^= 1 << (b & 63) }
func (s *byteSet) has(b byte) bool  { return s[b>>6]&(1<<(b&63)) != 0 }
func (s *byteSet) empty() bool      { return s[0]|s[1]|s[2]|s[3] == 0 }
func (s *byteSet) union(o *byteSet) { s[0] |= o[0]; s[1] |= o[1]; s[2] |= o[2]; s[3] |= o[3] }
func (s *byteSet) addString(cs string) {
	for i := 0; i < len(cs); i++ {
		s.add(cs[i])
	}
}

// truncateRunes returns the first n characters of s. A byte that is not
// valid UTF-8 counts as one character, the same as in runeCount.
func truncateRunes(s string, n int) string {
	for i := 0; i < len(s); n-- {
		if n == 0 {
			return s[:i]
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s
}

func runeCount(s string) int { return utf8.RuneCountInString(s) }
