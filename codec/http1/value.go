package http1

import "encoding/binary"

// Word-at-a-time constants: each byte of the word set to 0x01, 0x80, 0x20
// and 0x7F.
const (
	ones   = 0x0101010101010101
	highs  = 0x8080808080808080
	spaces = 0x20 * ones
	dels   = 0x7f * ones
)

// validFieldValue reports whether every byte of v is a field value byte
// (isValueByte: anything but controls other than HTAB, and DEL). It looks
// at eight bytes at a time: a word with no byte below 0x20 and none equal to
// 0x7F is valid whatever else it holds (obs-text included), and only a word
// that has one is checked byte by byte (HTAB is the one control allowed).
// Hand-written because field values are the bulk of a request head: a
// bearer token alone is hundreds of bytes, and the byte-at-a-time loop was
// most of what authorization added to a call's parse.
func validFieldValue(v []byte) bool {
	for len(v) >= 8 {
		x := binary.LittleEndian.Uint64(v)
		// (x - 0x20…) & ^x & 0x80…: non-zero iff some byte is below 0x20
		// (exact for the word, n <= 0x80); the same on x ^ 0x7F… finds a
		// byte equal to 0x7F (a zero byte of the xor).
		y := x ^ dels
		if ((x-spaces)&^x|(y-ones)&^y)&highs != 0 {
			for _, c := range v[:8] {
				if !isValueByte[c] {
					return false
				}
			}
		}
		v = v[8:]
	}
	for _, c := range v {
		if !isValueByte[c] {
			return false
		}
	}
	return true
}
