package codec

import "math/bits"

// Zero-allocation access to JSON that already passed Valid (every Message
// slice did). The router reads a few params members (a tool name, a cursor,
// _meta) this way instead of decoding the whole params into a struct.
//
// The functions never panic on malformed input, but they only guarantee
// correct answers for valid JSON: they skip over values without validating
// them. A value they return is trimmed of surrounding whitespace.

// ObjectField returns the raw value of the top-level member key of the JSON
// object obj. Keys are compared after unescaping, case-sensitively. ok is
// false if the member is absent or obj is not an object. Valid rejected
// duplicate keys, so the first match is the only one.
func ObjectField(obj []byte, key string) (val []byte, ok bool) {
	ObjectEach(obj, func(k, v []byte) bool {
		if keyEquals(k, key) {
			val, ok = v, true
			return false
		}
		return true
	})
	return val, ok
}

// keyEquals compares a key as ObjectEach hands it out with want.
func keyEquals(k []byte, want string) bool {
	if len(k) == 0 || k[0] != '"' {
		return string(k) == want
	}
	// Escaped key: unescaping only shortens, so a raw token shorter than
	// want plus its quotes cannot match. Keys that short fit the stack buffer.
	if len(k) < len(want)+2 {
		return false
	}
	var buf [128]byte
	u, err := Unquote(buf[:0], k)
	return err == nil && string(u) == want
}

// ObjectEach calls fn for each member of the JSON object obj, in order, until
// fn returns false. key is the member name without its quotes when the name
// has no escapes (the common case), else the raw string token WITH its quotes
// (pass it to Unquote): a name without escapes cannot start with '"', so
// key[0] == '"' tells the two apart. fn must not retain key or val beyond
// obj's lifetime. Nothing happens if obj is not an object.
func ObjectEach(obj []byte, fn func(key, val []byte) bool) {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return
	}
	i = skipSpace(obj, i+1)
	for i < len(obj) && obj[i] == '"' {
		kend, escaped := stringEnd(obj, i)
		if kend < 0 {
			return
		}
		key := obj[i+1 : kend-1]
		if escaped {
			key = obj[i:kend]
		}
		i = skipSpace(obj, kend)
		if i >= len(obj) || obj[i] != ':' {
			return
		}
		i = skipSpace(obj, i+1)
		vend := skipValue(obj, i)
		if vend < 0 || !fn(key, obj[i:vend]) {
			return
		}
		i = skipSpace(obj, vend)
		if i >= len(obj) || obj[i] != ',' {
			return
		}
		i = skipSpace(obj, i+1)
	}
}

// ArrayEach calls fn for each element of the JSON array arr, in order, until
// fn returns false. fn must not retain val beyond arr's lifetime. Nothing
// happens if arr is not an array.
func ArrayEach(arr []byte, fn func(val []byte) bool) {
	i := skipSpace(arr, 0)
	if i >= len(arr) || arr[i] != '[' {
		return
	}
	i = skipSpace(arr, i+1)
	for i < len(arr) && arr[i] != ']' {
		end := skipValue(arr, i)
		if end < 0 || !fn(arr[i:end]) {
			return
		}
		i = skipSpace(arr, end)
		if i >= len(arr) || arr[i] != ',' {
			return
		}
		i = skipSpace(arr, i+1)
	}
}

// Unquote appends the unescaped contents of the JSON string token str (with
// its quotes) to dst. It allocates nothing when dst has room. It validates
// the token fully (escapes, UTF-8, control characters) and returns
// ErrInvalidString and dst unchanged if it is not one valid JSON string.
func Unquote(dst, str []byte) ([]byte, error) {
	if len(str) < 2 || str[0] != '"' || str[len(str)-1] != '"' {
		return dst, ErrInvalidString
	}
	out, ok := appendUnescaped(dst, str[1:len(str)-1])
	if !ok {
		return dst, ErrInvalidString
	}
	return out, nil
}

// IsString reports whether the trimmed JSON value v is a string.
func IsString(v []byte) bool { return len(v) > 0 && v[0] == '"' }

// IsNull reports whether the trimmed JSON value v is null.
func IsNull(v []byte) bool { return string(v) == "null" }

// IsObject reports whether the trimmed JSON value v is an object.
func IsObject(v []byte) bool { return len(v) > 0 && v[0] == '{' }

// IsArray reports whether the trimmed JSON value v is an array.
func IsArray(v []byte) bool { return len(v) > 0 && v[0] == '[' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// skipValue returns the index just past the value starting at b[i], or -1.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		return skipContainer(b, i)
	}
	// A number or a literal runs to the next delimiter.
	j := i
	for j < len(b) && !isSpace(b[j]) && b[j] != ',' && b[j] != '}' && b[j] != ']' {
		j++
	}
	if j == i {
		return -1
	}
	return j
}

// skipString returns the index just past the string starting at b[i], or -1.
func skipString(b []byte, i int) int {
	end, _ := stringEnd(b, i)
	return end
}

// stringEnd returns the index just past the string starting at b[i], or -1,
// and whether the string holds a backslash. The keys and values ObjectEach
// and ObjectField skip are mostly short: 8 bytes per step, jumping to the
// first quote or backslash of a step, cost less than a call into
// bytes.IndexByte per string (and a second one to look for escapes).
func stringEnd(b []byte, i int) (end int, escaped bool) {
	i++
	for {
		for i+8 <= len(b) {
			if m := quoteOrBackslash(word(b2s(b), i)); m != 0 {
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
			return -1, escaped
		}
		if b[i] == '"' {
			return i + 1, escaped
		}
		escaped = true
		i += 2 // the backslash and the byte it escapes, which may be a quote
	}
}

// quoteOrBackslash flags (bit 7 of each byte) the quotes and backslashes
// among the 8 bytes of w; the lowest flagged byte is the first of them (the
// exact zero-byte test: a borrow only flags bytes above a true one). XOR
// with an ASCII constant keeps each byte's high bit, so one &^ w clears the
// bytes whose own high bit would make a false flag in either term.
func quoteOrBackslash(w uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q, bs := w^(ones*'"'), w^(ones*'\\')
	return ((q - ones) | (bs - ones)) &^ w & highs
}

// skipContainer returns the index just past the object or array starting at
// b[i], or -1. Brackets inside strings do not count.
func skipContainer(b []byte, i int) int {
	depth := 0
	for i < len(b) {
		switch b[i] {
		case '"':
			i = skipString(b, i)
			if i < 0 {
				return -1
			}
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
	return -1
}
