package schema

import (
	"math/bits"
	"strconv"
)

// checkObject applies properties, patternProperties, additionalProperties
// and propertyNames member by member, then minProperties, maxProperties,
// required, dependentRequired and dependentSchemas from what the walk saw.
// Presence of the names those keywords mention is a bit set on the stack.
func (v *validator) checkObject(n *node, obj []byte) bool {
	var seen presence
	count := 0
	it := newMembers(obj)
	for {
		key, val, ok := it.next()
		if !ok {
			break
		}
		count++
		if n.walksMembers && !v.checkMember(n, key, it.escaped, val, &seen) {
			return false
		}
	}
	if count < n.minProperties {
		return v.loud() && v.fail("minProperties", "object must have "+bound("at least", n.minProperties, "property")+", has "+strconv.Itoa(count))
	}
	if n.maxProperties >= 0 && count > n.maxProperties {
		return v.loud() && v.fail("maxProperties", "object must have "+bound("at most", n.maxProperties, "property")+", has "+strconv.Itoa(count))
	}
	for _, r := range n.required {
		if !seen.has(r.bit) {
			return v.loud() && v.fail("required", "missing required property "+strconv.Quote(r.name))
		}
	}
	for _, d := range n.dependentRequired {
		if !seen.has(d.bit) {
			continue
		}
		for _, r := range d.required {
			if !seen.has(r.bit) {
				return v.loud() && v.fail("dependentRequired", "property "+strconv.Quote(r.name)+
					" is required when "+strconv.Quote(d.name)+" is present")
			}
		}
	}
	for _, d := range n.dependentSchemas {
		if seen.has(d.bit) && !v.validate(d.node, obj) {
			return false
		}
	}
	return true
}

// checkMember applies the member keywords to one member. The decoded name
// lives in scratch only until the value is validated, which may reuse it.
func (v *validator) checkMember(n *node, key []byte, escaped bool, val []byte, seen *presence) bool {
	name := v.memberName(key, escaped)
	entry, found := n.lookup(name)
	if found && entry.bit >= 0 {
		seen.set(entry.bit)
	}
	var matches uint64
	for i := range n.patternProperties {
		if n.patternProperties[i].re.Match(name) {
			matches |= 1 << i
		}
	}
	if n.propertyNames != nil && !v.valid(n.propertyNames, key) {
		return v.loud() && v.fail("propertyNames", "property name "+describe(key)+" is invalid: "+v.explain(n.propertyNames, key, true))
	}
	declared := found && entry.prop != nil
	additional := !declared && matches == 0 && n.additional != nil
	if additional && n.additional.never {
		return v.loud() && v.fail("additionalProperties", "unexpected property "+describe(key))
	}
	v.pushKey(key)
	ok := true
	if declared {
		ok = v.validate(entry.prop, val)
	}
	for ; ok && matches != 0; matches &= matches - 1 {
		ok = v.validate(n.patternProperties[bits.TrailingZeros64(matches)].node, val)
	}
	if ok && additional {
		ok = v.validate(n.additional, val)
	}
	v.pop()
	return ok
}

// memberName returns the decoded name of a key token, in place when it
// has no escapes (escaped: it holds a backslash).
func (v *validator) memberName(key []byte, escaped bool) []byte {
	content := stringContent(key)
	if !escaped || !v.haveScratch() {
		return content // raw when the pass stops: its verdict is discarded
	}
	v.scratch = appendUnescaped(v.scratch[:0], content)
	return v.scratch
}
