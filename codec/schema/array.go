package schema

import (
	"cmp"
	"slices"
	"strconv"
)

// checkArray applies prefixItems, items, contains, minContains,
// maxContains, minItems, maxItems and uniqueItems in one pass over the
// elements (uniqueItems takes a second).
func (v *validator) checkArray(n *node, arr []byte) bool {
	count, matched := 0, 0
	it := newElements(arr)
	for {
		e, ok := it.next()
		if !ok {
			break
		}
		sub, inPrefix := n.items, count < len(n.prefixItems)
		if inPrefix {
			sub = n.prefixItems[count]
		}
		if sub != nil && !inPrefix && sub.never {
			return v.loud() && v.fail("items", "array must have "+bound("at most", len(n.prefixItems), "item")+
				", has "+strconv.Itoa(countElements(arr)))
		}
		if sub != nil {
			v.pushIndex(count)
			ok := v.validate(sub, e)
			v.pop()
			if !ok {
				return false
			}
		}
		if n.contains != nil && v.valid(n.contains, e) {
			matched++
		}
		count++
	}
	if v.abort != nil {
		return false
	}
	if count < n.minItems {
		return v.loud() && v.fail("minItems", "array must have "+bound("at least", n.minItems, "item")+", has "+strconv.Itoa(count))
	}
	if n.maxItems >= 0 && count > n.maxItems {
		return v.loud() && v.fail("maxItems", "array must have "+bound("at most", n.maxItems, "item")+", has "+strconv.Itoa(count))
	}
	if n.contains != nil && !v.checkContains(n, matched) {
		return false
	}
	if n.uniqueItems && count > 1 {
		return v.checkUnique(arr, count)
	}
	return true
}

func (v *validator) checkContains(n *node, matched int) bool {
	if matched < n.minContains {
		keyword := "minContains"
		if n.minContains == 1 {
			keyword = "contains"
		}
		return v.loud() && v.fail(keyword, "array must have "+bound("at least", n.minContains, "item")+
			" matching the contains schema, has "+strconv.Itoa(matched))
	}
	if n.maxContains >= 0 && matched > n.maxContains {
		return v.loud() && v.fail("maxContains", "array must have "+bound("at most", n.maxContains, "item")+
			" matching the contains schema, has "+strconv.Itoa(matched))
	}
	return true
}

func countElements(arr []byte) int {
	n := 0
	for it := newElements(arr); ; n++ {
		if _, ok := it.next(); !ok {
			return n
		}
	}
}

// pairwiseUniqueLimit: arrays up to this length check uniqueItems by
// comparing every pair, which needs no buffer. Longer arrays hash every
// item and sort the hashes, so a client cannot make the check quadratic by
// sending a long array.
const pairwiseUniqueLimit = 16

// hashedItem is one array element in the uniqueItems sort.
type hashedItem struct {
	hash  uint64
	index int
	value []byte
}

// checkUnique reports the first element (lowest index) equal to an earlier one.
func (v *validator) checkUnique(arr []byte, count int) bool {
	i, j, dup := 0, 0, false
	if count <= pairwiseUniqueLimit {
		i, j, dup = duplicatePairwise(arr)
	} else {
		if !v.haveScratch() {
			return false
		}
		i, j, dup = v.duplicateHashed(arr)
	}
	if dup {
		return v.loud() && v.fail("uniqueItems", "array items "+strconv.Itoa(i)+" and "+strconv.Itoa(j)+" are equal")
	}
	return true
}

func duplicatePairwise(arr []byte) (int, int, bool) {
	outer := newElements(arr)
	for j := 0; ; j++ {
		y, ok := outer.next()
		if !ok {
			return 0, 0, false
		}
		inner := newElements(arr)
		for i := 0; i < j; i++ {
			x, _ := inner.next()
			if equalJSON(x, y) {
				return i, j, true
			}
		}
	}
}

func (v *validator) duplicateHashed(arr []byte) (int, int, bool) {
	items := v.items[:0]
	it := newElements(arr)
	for i := 0; ; i++ {
		e, ok := it.next()
		if !ok {
			break
		}
		items = append(items, hashedItem{hash: hashJSON(e), index: i, value: e})
	}
	slices.SortFunc(items, func(a, b hashedItem) int {
		if c := cmp.Compare(a.hash, b.hash); c != 0 {
			return c
		}
		return cmp.Compare(a.index, b.index)
	})
	bi, bj, dup := 0, 0, false
	for start := 0; start < len(items); {
		end := start + 1
		for end < len(items) && items[end].hash == items[start].hash {
			end++
		}
		for q := start + 1; q < end; q++ {
			for p := start; p < q; p++ {
				if equalJSON(items[p].value, items[q].value) && (!dup || items[q].index < bj) {
					bi, bj, dup = items[p].index, items[q].index, true
					break
				}
			}
		}
		start = end
	}
	clear(items) // drop references to the instance before pooling
	v.items = items[:0]
	return bi, bj, dup
}
