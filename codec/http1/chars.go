package http1

import "bytes"

// Byte classes from RFC 9110 §5.6.2 (token), §5.5 (field values), RFC 3986
// §3.3 (path) and §3.2.2 (reg-name), as lookup tables: one load per byte on
// the hot path instead of a chain of comparisons.
var (
	isTokenChar = byteClass("!#$%&'*+-.^_`|~")
	isPathChar  = byteClass("-._~!$&'()*+,;=:@/")
	isHostChar  = byteClass("-._~")
	isValueByte = valueBytes()
)

// byteClass is ALPHA / DIGIT plus the given punctuation.
func byteClass(punct string) (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for i := 0; i < len(punct); i++ {
		t[punct[i]] = true
	}
	return t
}

// valueBytes is field-vchar / SP / HTAB, with obs-text (0x80-0xFF) allowed as
// RFC 9110 §5.5 and net/http do.
func valueBytes() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != 0x7f
	}
	t['\t'] = true
	return t
}

// isQueryChar: any visible ASCII but '#'. The query is not routed on, so it
// gets net/http's leniency minus fragments and non-ASCII.
func isQueryChar(c byte) bool { return c > ' ' && c < 0x7f && c != '#' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func hexValue(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// equalFold reports whether b equals s ignoring ASCII case.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		if lower(b[i]) != lower(s[i]) {
			return false
		}
	}
	return true
}

// trimOWS removes leading and trailing SP and HTAB.
func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// hasElement reports whether the comma-separated list holds an element equal
// to s ignoring case, the way net/http reads Connection and Trailer.
func hasElement(list []byte, s string) bool {
	for len(list) > 0 {
		elem := list
		if i := bytes.IndexByte(list, ','); i >= 0 {
			elem, list = list[:i], list[i+1:]
		} else {
			list = nil
		}
		if equalFold(trimOWS(elem), s) {
			return true
		}
	}
	return false
}
