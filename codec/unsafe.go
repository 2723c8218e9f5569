package codec

import "unsafe"

// The only unsafe conversions of the package live here (fasthttp's b2s.go
// pattern): every use is reviewed against the rule below.

// b2s views b as a string without copying. The caller must not modify b while
// the string is in use and must not let the string outlive the call it is
// passed to (the string aliases b's memory).
func b2s(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// sameArrayAt reports whether tail starts exactly at dst[len(dst)], that is
// whether an encoder that appended into dst[len(dst):] wrote in place instead
// of moving to a new backing array.
func sameArrayAt(dst, tail []byte) bool {
	if cap(dst) == len(dst) || cap(tail) == 0 {
		return false
	}
	return unsafe.SliceData(dst[len(dst):]) == unsafe.SliceData(tail)
}

// recordedSpan returns d[i:j] (capacity j-i) for a span the scanner recorded
// in d itself (Index): 0 <= i <= j <= len(d) holds by construction, so the
// two bounds checks a slice expression makes, for every member the router
// and the transports read on every call, are left out.
func recordedSpan(d []byte, i, j int32) []byte {
	return unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(d)), i)), j-i)
}
