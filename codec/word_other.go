//go:build !amd64 && !arm64

package codec

import "encoding/binary"

// word returns the 8 bytes of s at i as a little-endian word; the caller has
// checked that i+8 <= len(s) (see word_le.go).
func word(s string, i int) uint64 {
	return binary.LittleEndian.Uint64([]byte(s[i : i+8]))
}
