//go:build amd64 || arm64

package schema

import "unsafe"

// word returns the 8 bytes of b at i as a little-endian word; the caller has
// checked that i+8 <= len(b). stringEnd takes 8 bytes per step for every
// string of every validated instance, and the bounds checks of a slice
// expression and binary.LittleEndian cost a third of a step. These
// architectures load unaligned little-endian words natively; word_other.go
// is the portable form for the rest.
func word(b []byte, i int) uint64 {
	return *(*uint64)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(b)), i))
}
