//go:build !amd64 && !arm64

package schema

import "encoding/binary"

// word returns the 8 bytes of b at i as a little-endian word; the caller has
// checked that i+8 <= len(b) (see word_le.go).
func word(b []byte, i int) uint64 {
	return binary.LittleEndian.Uint64(b[i:])
}
