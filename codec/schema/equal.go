package schema

import (
	"encoding/binary"
	"hash/maphash"
	"unicode/utf8"
)

// equalJSON reports whether two JSON values are equal in the JSON Schema
// sense (enum, const, uniqueItems): numbers compare by value (1 == 1.0 ==
// 1e0), strings by their decoded text, objects regardless of member order.
// It walks both texts in place and allocates nothing.
func equalJSON(a, b []byte) bool {
	ka, kb := valueKind(a), valueKind(b)
	if ka != kb {
		return false
	}
	switch ka {
	case kindNumber:
		da, db := parseDecimal(a), parseDecimal(b)
		return cmpDecimal(&da, &db) == 0
	case kindString:
		return equalContent(stringContent(a), stringContent(b))
	case kindArray:
		return equalArrays(a, b)
	case kindObject:
		return equalObjects(a, b)
	case kindInvalid:
		return false
	}
	return true // null, true, false: the kind is the value
}

func equalArrays(a, b []byte) bool {
	ea, eb := newElements(a), newElements(b)
	for {
		va, oka := ea.next()
		vb, okb := eb.next()
		if oka != okb {
			return false
		}
		if !oka {
			return true
		}
		if !equalJSON(va, vb) {
			return false
		}
	}
}

// equalObjects matches every member of a with the member of b of the same
// name. Keys are unique (strict JSON), so equal member counts plus a match
// for every member of a means equal objects. Quadratic in the member count;
// uniqueItems only reaches it for values whose hashes collide.
func equalObjects(a, b []byte) bool {
	if countMembers(a) != countMembers(b) {
		return false
	}
	ma := newMembers(a)
	for {
		ka, va, ok := ma.next()
		if !ok {
			return true
		}
		vb, found := lookupMember(b, stringContent(ka))
		if !found || !equalJSON(va, vb) {
			return false
		}
	}
}

func countMembers(obj []byte) int {
	n := 0
	for it := newMembers(obj); ; n++ {
		if _, _, ok := it.next(); !ok {
			return n
		}
	}
}

// lookupMember finds the value of the member whose decoded name equals the
// decoded name content.
func lookupMember(obj, name []byte) ([]byte, bool) {
	it := newMembers(obj)
	for {
		k, v, ok := it.next()
		if !ok {
			return nil, false
		}
		if equalContent(stringContent(k), name) {
			return v, true
		}
	}
}

// hashSeed randomises uniqueItems hashing per process, so a client cannot
// craft many distinct items that collide and force quadratic comparisons.
var hashSeed = maphash.MakeSeed()

// hashJSON returns a hash of v consistent with equalJSON: equal values hash
// equally (numbers by their normalised digits, strings by decoded text,
// object members combined order-independently).
func hashJSON(v []byte) uint64 {
	var h maphash.Hash
	h.SetSeed(hashSeed)
	writeHash(&h, v)
	return h.Sum64()
}

func writeHash(h *maphash.Hash, v []byte) {
	k := valueKind(v)
	h.WriteByte(byte(k))
	switch k {
	case kindNumber:
		d := parseDecimal(v)
		if d.isZero() {
			return
		}
		var buf [9]byte
		if d.neg {
			buf[0] = 1
		}
		binary.LittleEndian.PutUint64(buf[1:], uint64(d.point))
		h.Write(buf[:])
		for i := 0; i < d.nsig; i++ {
			h.WriteByte(d.digit(i))
		}
	case kindString:
		writeStringHash(h, stringContent(v))
	case kindArray:
		it := newElements(v)
		for {
			e, ok := it.next()
			if !ok {
				return
			}
			writeHash(h, e)
			h.WriteByte(',')
		}
	case kindObject:
		// Sum of per-member hashes: addition commutes, member order does not matter.
		var sum uint64
		it := newMembers(v)
		for {
			key, val, ok := it.next()
			if !ok {
				break
			}
			var mh maphash.Hash
			mh.SetSeed(hashSeed)
			writeStringHash(&mh, stringContent(key))
			writeHash(&mh, val)
			sum += mh.Sum64()
		}
		var buf [8]byte
		binary.LittleEndian.PutUint64(buf[:], sum)
		h.Write(buf[:])
	}
}

func writeStringHash(h *maphash.Hash, content []byte) {
	if !hasEscape(content) {
		h.Write(content)
		h.WriteByte('"')
		return
	}
	var buf [utf8.UTFMax]byte
	for i := 0; i < len(content); {
		var r rune
		r, i = nextRune(content, i)
		h.Write(utf8.AppendRune(buf[:0], r))
	}
	h.WriteByte('"')
}
