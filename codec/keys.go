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

// key scans an object key and returns where its unescaped bytes live. It is
// small enough to be inlined into object, the one caller, which it runs for
// every key of every message; the rare escaped key goes to unescapeKey.
func (s *scanner) key() (keyRef, bool) {
	start := s.pos
	escaped, ok := s.str()
	if !ok {
		return keyRef{}, false
	}
	k := keyRef{off: start + 1, end: s.pos - 1}
	if escaped {
		return s.unescapeKey(k)
	}
	return k, true
}

// unescapeKey moves the escaped key k of the input into the arena, unescaped.
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

// addKey appends k (its bytes: kb) to the keys of the object that starts at keys[base]. While
// the object is small it checks k against each earlier key whose summary bit
// it shares (seen: that object's summary); beyond that the check is left to
// hasDuplicateSorted when the object closes.
func (s *scanner) addKey(base int, k keyRef, kb []byte, seen *keySummary) bool {
	if len(s.keys)-base < smallObjectKeys {
		bit := keyBit(kb)
		if *seen&bit != 0 {
			n := k.end - k.off
			for _, prev := range s.keys[base:] {
				// Most keys of an object differ in length: compare that first.
				if prev.end-prev.off == n && bytes.Equal(s.keyBytes(prev), kb) {
					return s.fail(msgDuplicateKey)
				}
			}
		}
		*seen |= bit
	}
	s.keys = append(s.keys, k)
	return true
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
