package codec

import (
	"bytes"
	"cmp"
	"hash/maphash"
	"slices"
)

// Duplicate keys are a parse error at every depth: if the router and a
// handler could read different values for one key, routing decisions could
// be bypassed. Keys are compared after unescaping ("a" equals "\u0061").

// smallObjectKeys is how many members an object may have before duplicate
// keys are found by sorting instead of by comparing each new key with every
// earlier one: linear compare is fastest for the few keys real messages have,
// sorting keeps a hostile object with 100k keys at O(n log n).
const smallObjectKeys = 16

// keySeed seeds the hash that orders the keys of large objects. It is random
// per process, so nobody can prepare keys that all collide; even if they did,
// ties are broken by comparing bytes and the sort stays O(n log n).
var keySeed = maphash.MakeSeed()

// keyRef locates one unescaped object key: in the input when the key has no
// escapes, else in the scanner's arena. Offsets, not slices, because the
// arena may move when it grows.
type keyRef struct {
	off, end int
	inArena  bool
	hash     uint64 // filled only when a large object is sorted
}

// unescapeKey moves the escaped key k of the input into the arena, unescaped
// (object keeps the key of each member in a keyRef: in the input when it has
// no escapes, else here).
func (s *scanner) unescapeKey(k keyRef) (keyRef, bool) {
	from := len(s.arena)
	var ok bool
	s.arena, ok = appendUnescaped(s.arena, s.data[k.off:k.end])
	if !ok {
		panic("BUG: a string the scanner accepted failed to unescape")
	}
	if bytes.IndexByte(s.arena[from:], 0) >= 0 {
		return k, s.fail(msgNULKey)
	}
	return keyRef{off: from, end: len(s.arena), inArena: true}, true
}

func (s *scanner) keyBytes(k keyRef) []byte {
	if k.inArena {
		return s.arena[k.off:k.end]
	}
	return s.data[k.off:k.end]
}

// keySummary is a 64-bit filter of the keys an object has had so far: each
// key sets one bit picked by its length and last byte. Equal keys pick the
// same bit, so a key whose bit is still clear differs from every earlier key
// and needs no comparing; in real messages that is nearly every key, and
// the compare loop (a third of the scanner's key cost) rarely runs.
type keySummary uint64

// keyBit is the bit of the unescaped key k in a keySummary.
func keyBit(k []byte) keySummary {
	h := uint(len(k))
	if h > 0 {
		h = h*7 ^ uint(k[h-1])
	}
	return 1 << (h & 63)
}

// hasKey reports whether the object whose keys start at keys[base] already
// has the key kb. object calls it, while the object is small (at most
// smallObjectKeys keys; past that hasDuplicateSorted checks when it closes),
// only for a key whose keySummary bit an earlier key set.
func (s *scanner) hasKey(base int, kb []byte) bool {
	for _, prev := range s.keys[base:] {
		// Most keys of an object differ in length: compare that first.
		if prev.end-prev.off == len(kb) && bytes.Equal(s.keyBytes(prev), kb) {
			return true
		}
	}
	return false
}

// hasDuplicateSorted sorts the keys of the object at keys[base:] by hash, then
// bytes, and reports whether two neighbours are equal.
func (s *scanner) hasDuplicateSorted(base int) bool {
	keys := s.keys[base:]
	for i := range keys {
		keys[i].hash = maphash.Bytes(keySeed, s.keyBytes(keys[i]))
	}
	slices.SortFunc(keys, func(a, b keyRef) int {
		if c := cmp.Compare(a.hash, b.hash); c != 0 {
			return c
		}
		return bytes.Compare(s.keyBytes(a), s.keyBytes(b))
	})
	for i := 1; i < len(keys); i++ {
		if keys[i].hash == keys[i-1].hash && bytes.Equal(s.keyBytes(keys[i]), s.keyBytes(keys[i-1])) {
			return true
		}
	}
	return false
}
