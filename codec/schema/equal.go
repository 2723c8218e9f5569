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
// name. Keys are unique (strict JSON), so a match for every member of a
// plus equal member counts means equal objects. The count of b is taken
// last: unequal objects usually differ at their first member. Quadratic in
// the member count; uniqueItems only reaches it for short arrays or for
// values whose hashes collide.
func equalObjects(a, b []byte) bool {
	count := 0
	ma := newMembers(a)
	for ka, va, ok := ma.next(); ok; ka, va, ok = ma.next() {
		vb, found := lookupMember(b, stringContent(ka))
		if !found || !equalJSON(va, vb) {
			return false
		}
		count++
	}
	return count == countMembers(b)
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
// object members combined order-independently). Containers combine their
// children's hashes with keyed maphash, and each leaf is hashed by its own
// stack-local maphash.Hash, so the recursion keeps every hasher on the
// stack.
func hashJSON(v []byte) uint64 {
	k := valueKind(v)
	switch k {
	case kindNumber:
		return hashNumber(v)
	case kindString:
		return hashString(stringContent(v))
	case kindArray:
		acc := uint64(kindArray)
		it := newElements(v)
		for e, ok := it.next(); ok; e, ok = it.next() {
			acc = combineHash(acc, hashJSON(e))
		}
		return acc
	case kindObject:
		// Addition commutes: member order does not matter.
		var sum uint64
		it := newMembers(v)
		for key, val, ok := it.next(); ok; key, val, ok = it.next() {
			sum += combineHash(hashString(stringContent(key)), hashJSON(val))
		}
		return combineHash(uint64(kindObject), sum)
	}
	return uint64(k)
}

func combineHash(a, b uint64) uint64 {
	var buf [16]byte
	binary.LittleEndian.PutUint64(buf[:8], a)
	binary.LittleEndian.PutUint64(buf[8:], b)
	return maphash.Bytes(hashSeed, buf[:])
}

func hashNumber(v []byte) uint64 {
	var h maphash.Hash
	h.SetSeed(hashSeed)
	h.WriteByte(byte(kindNumber))
	d := parseDecimal(v)
	if !d.isZero() {
		var buf [9]byte
		if d.neg {
			buf[0] = 1
		}
		binary.LittleEndian.PutUint64(buf[1:], uint64(d.point))
		h.Write(buf[:])
		for i := 0; i < d.nsig; i++ {
			h.WriteByte(d.digit(i))
		}
	}
	return h.Sum64()
}

func hashString(content []byte) uint64 {
	var h maphash.Hash
	h.SetSeed(hashSeed)
	h.WriteByte(byte(kindString))
	if !hasEscape(content) {
		h.Write(content)
		return h.Sum64()
	}
	var buf [utf8.UTFMax]byte
	for i := 0; i < len(content); {
		var r rune
		r, i = nextRune(content, i)
		h.Write(utf8.AppendRune(buf[:0], r))
	}
	return h.Sum64()
}
