//go:build amd64 || arm64

package codec

import "unsafe"

// word returns the 8 bytes of s at i as a little-endian word; the caller has
// checked that i+8 <= len(s). The string scanners (str, plainRun,
// stringEnd) take 8 bytes per step for every string of every message, and
// the bounds checks of a slice expression and binary.LittleEndian cost a
// third of a step. These architectures load unaligned little-endian words
// natively; word_other.go is the portable form for the rest.
func word(s string, i int) uint64 {
	return *(*uint64)(unsafe.Add(unsafe.Pointer(unsafe.StringData(s)), i))
}
