package schema

import "strconv"

// checkNumber applies minimum, maximum, exclusiveMinimum, exclusiveMaximum
// and multipleOf. The instance number is compared digit by digit with the
// schema's literal, so the result is exact at any size or precision.
func (v *validator) checkNumber(n *node, inst []byte) bool {
	d := parseDecimal(inst)
	if n.minimum != nil && cmpDecimal(&d, n.minimum) < 0 {
		return v.loud() && v.fail("minimum", string(inst)+" is less than the minimum "+string(n.minimum.raw))
	}
	if n.maximum != nil && cmpDecimal(&d, n.maximum) > 0 {
		return v.loud() && v.fail("maximum", string(inst)+" is greater than the maximum "+string(n.maximum.raw))
	}
	if n.exclusiveMinimum != nil && cmpDecimal(&d, n.exclusiveMinimum) <= 0 {
		return v.loud() && v.fail("exclusiveMinimum", string(inst)+" must be greater than "+string(n.exclusiveMinimum.raw))
	}
	if n.exclusiveMaximum != nil && cmpDecimal(&d, n.exclusiveMaximum) >= 0 {
		return v.loud() && v.fail("exclusiveMaximum", string(inst)+" must be less than "+string(n.exclusiveMaximum.raw))
	}
	if n.multipleOf != nil && !n.multipleOf.divides(&d) {
		return v.loud() && v.fail("multipleOf", string(inst)+" is not a multiple of "+string(n.multipleOf.raw))
	}
	return true
}

// checkString applies minLength, maxLength (in code points) and pattern.
func (v *validator) checkString(n *node, inst []byte) bool {
	content := stringContent(inst)
	if n.minLength > 0 || n.maxLength >= 0 {
		count := runeCount(content)
		if count < n.minLength {
			return v.loud() && v.fail("minLength", "string must have "+bound("at least", n.minLength, "character")+", has "+strconv.Itoa(count))
		}
		if n.maxLength >= 0 && count > n.maxLength {
			return v.loud() && v.fail("maxLength", "string must have "+bound("at most", n.maxLength, "character")+", has "+strconv.Itoa(count))
		}
	}
	if n.pattern != nil {
		subject := content
		if hasEscape(content) {
			if !v.haveScratch() {
				return false
			}
			v.scratch = appendUnescaped(v.scratch[:0], content)
			subject = v.scratch
		}
		if !n.pattern.Match(subject) {
			return v.loud() && v.fail("pattern", describe(inst)+" does not match the pattern "+strconv.Quote(n.patternText))
		}
	}
	return true
}
