package schema

import (
	"bytes"
	"encoding/json"
	"strings"
)

// compileCore reads identity and reference keywords: $id, $anchor, $ref,
// $defs and definitions. It runs first so that an embedded $id is known
// before any subschema is compiled.
func (s *scope) compileCore() error {
	if raw, ok := s.kw["$id"]; ok && s.ptr != "" {
		id, ok := decodeString(raw)
		if !ok {
			return s.errorf("$id", "must be a string")
		}
		if name, isAnchor := strings.CutPrefix(id, "#"); isAnchor && s.c.draft == draft07 {
			if !s.embedded {
				s.c.anchors[name] = s.n
			}
		} else {
			// A second schema resource: refs inside it would resolve against
			// its own base URI, which this compiler does not track.
			s.embedded = true
		}
	}
	if raw, ok := s.kw["$anchor"]; ok {
		name, ok := decodeString(raw)
		if !ok || name == "" {
			return s.errorf("$anchor", "must be a non-empty string")
		}
		if !s.embedded {
			s.c.anchors[name] = s.n
		}
	}
	for _, keyword := range [...]string{"$defs", "definitions"} {
		if err := s.subMap(keyword, func(string, *node) error { return nil }); err != nil {
			return err
		}
	}
	if raw, ok := s.kw["$ref"]; ok {
		ref, ok := decodeString(raw)
		if !ok {
			return s.errorf("$ref", "must be a string")
		}
		if s.embedded {
			return s.failf(ErrUnsupportedRef, "$ref", "%q inside a subschema with its own $id", ref)
		}
		s.c.refs = append(s.c.refs, pendingRef{from: s.n, ref: ref, at: s.ptr})
	}
	return nil
}

// compileAssertions reads type, enum and const.
func (s *scope) compileAssertions() error {
	if s.ignored() {
		return nil
	}
	if raw, ok := s.kw["type"]; ok {
		if err := s.compileType(raw); err != nil {
			return err
		}
	}
	if raw, ok := s.kw["enum"]; ok {
		if valueKind(raw) != kindArray {
			return s.errorf("enum", "must be an array")
		}
		s.n.hasEnum = true
		it := newElements(raw)
		for {
			e, ok := it.next()
			if !ok {
				break
			}
			s.n.enum = append(s.n.enum, newLiteral(e))
		}
		s.n.enumText = compactText(raw)
	}
	if raw, ok := s.kw["const"]; ok {
		lit := newLiteral(raw)
		s.n.constVal = &lit
	}
	return nil
}

func (s *scope) compileType(raw []byte) error {
	var names []string
	switch valueKind(raw) {
	case kindString:
		name, _ := decodeString(raw)
		names = append(names, name)
	case kindArray:
		it := newElements(raw)
		for {
			e, ok := it.next()
			if !ok {
				break
			}
			name, ok := decodeString(e)
			if !ok {
				return s.errorf("type", "must be a type name or an array of type names")
			}
			names = append(names, name)
		}
	default:
		return s.errorf("type", "must be a type name or an array of type names")
	}
	for _, name := range names {
		t, ok := typeNames[name]
		if !ok {
			return s.errorf("type", "%q is not a JSON Schema type", name)
		}
		s.n.types |= t
	}
	s.n.hasType = true
	s.n.typeText = typeList(names)
	return nil
}

// typeList says "string", "null or array" or "one of a, b, c".
func typeList(names []string) string {
	switch len(names) {
	case 0:
		return "nothing"
	case 1:
		return names[0]
	case 2:
		return names[0] + " or " + names[1]
	}
	return "one of " + strings.Join(names, ", ")
}

func newLiteral(raw []byte) literal {
	lit := literal{raw: raw, kind: valueKind(raw)}
	if lit.kind == kindString {
		lit.text = appendUnescaped(nil, stringContent(raw))
	}
	return lit
}

// maxLiteralText bounds how much of an enum or const value a message
// quotes; the model needs the allowed values, not a dump of a huge list.
const maxLiteralText = 200

// compactText renders a schema value on one line for messages.
func compactText(raw []byte) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		b.Reset()
		b.Write(raw)
	}
	return truncate(b.String(), maxLiteralText)
}

// compileNumber reads minimum, maximum, exclusiveMinimum, exclusiveMaximum
// and multipleOf as exact decimals.
func (s *scope) compileNumber() error {
	if s.ignored() {
		return nil
	}
	for _, b := range [...]struct {
		keyword string
		dst     **decimal
	}{
		{"minimum", &s.n.minimum},
		{"maximum", &s.n.maximum},
		{"exclusiveMinimum", &s.n.exclusiveMinimum},
		{"exclusiveMaximum", &s.n.exclusiveMaximum},
	} {
		raw, ok := s.kw[b.keyword]
		if !ok {
			continue
		}
		if valueKind(raw) != kindNumber {
			return s.errorf(b.keyword, "must be a number")
		}
		d := parseDecimal(raw)
		*b.dst = &d
	}
	if raw, ok := s.kw["multipleOf"]; ok {
		d := parseDecimal(raw)
		if valueKind(raw) != kindNumber || d.sign() <= 0 {
			return s.errorf("multipleOf", "must be a number greater than 0")
		}
		if d.nsig > maxDivisorDigits {
			return s.errorf("multipleOf", "has more than %d significant digits", maxDivisorDigits)
		}
		m := newDivisor(&d)
		s.n.multipleOf = &m
	}
	return nil
}

// compileString reads minLength, maxLength and pattern.
func (s *scope) compileString() error {
	if s.ignored() {
		return nil
	}
	if err := s.count("minLength", &s.n.minLength); err != nil {
		return err
	}
	if err := s.count("maxLength", &s.n.maxLength); err != nil {
		return err
	}
	if raw, ok := s.kw["pattern"]; ok {
		src, ok := decodeString(raw)
		if !ok {
			return s.errorf("pattern", "must be a string")
		}
		re, err := compilePattern(src)
		if err != nil {
			return s.failf(ErrUnsupportedPattern, "pattern", "%q: %v", src, err)
		}
		s.n.pattern = re
		s.n.patternText = src
	}
	return nil
}

// compileArray reads the array keywords, mapping draft-07's items array and
// additionalItems onto prefixItems and items.
func (s *scope) compileArray() error {
	if s.ignored() {
		return nil
	}
	var err error
	itemsRaw, hasItems := s.kw["items"]
	switch {
	case hasItems && valueKind(itemsRaw) == kindArray && s.c.draft == draft07:
		if s.n.prefixItems, err = s.subList("items", false); err != nil {
			return err
		}
		if s.n.items, err = s.sub("additionalItems"); err != nil {
			return err
		}
	case hasItems && valueKind(itemsRaw) == kindArray:
		return s.errorf("items", "must be a schema in draft 2020-12 (an array of schemas is prefixItems)")
	default:
		if s.c.draft == draft2020 {
			if s.n.prefixItems, err = s.subList("prefixItems", false); err != nil {
				return err
			}
		}
		if s.n.items, err = s.sub("items"); err != nil {
			return err
		}
	}
	if s.n.contains, err = s.sub("contains"); err != nil {
		return err
	}
	for _, c := range [...]struct {
		keyword string
		dst     *int
	}{
		{"minItems", &s.n.minItems},
		{"maxItems", &s.n.maxItems},
		{"minContains", &s.n.minContains},
		{"maxContains", &s.n.maxContains},
	} {
		if err := s.count(c.keyword, c.dst); err != nil {
			return err
		}
	}
	if raw, ok := s.kw["uniqueItems"]; ok {
		switch valueKind(raw) {
		case kindTrue:
			s.n.uniqueItems = true
		case kindFalse:
		default:
			return s.errorf("uniqueItems", "must be a boolean")
		}
	}
	return nil
}

// compileApplicators reads allOf, anyOf, oneOf, not and if/then/else.
func (s *scope) compileApplicators() error {
	if s.ignored() {
		return nil
	}
	var err error
	if s.n.allOf, err = s.subList("allOf", true); err != nil {
		return err
	}
	if s.n.anyOf, err = s.subList("anyOf", true); err != nil {
		return err
	}
	if s.n.oneOf, err = s.subList("oneOf", true); err != nil {
		return err
	}
	if s.n.not, err = s.sub("not"); err != nil {
		return err
	}
	if s.n.thenNode, err = s.sub("then"); err != nil {
		return err
	}
	if s.n.elseNode, err = s.sub("else"); err != nil {
		return err
	}
	ifNode, err := s.sub("if")
	if err != nil {
		return err
	}
	// "if" alone asserts nothing; then and else without if are ignored.
	if ifNode != nil && (s.n.thenNode != nil || s.n.elseNode != nil) {
		s.n.ifNode = ifNode
	} else {
		s.n.thenNode, s.n.elseNode = nil, nil
	}
	return nil
}
