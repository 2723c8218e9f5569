package schema

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Messages are built only on the failure path (see validator.loud); they
// are read by a language model deciding how to fix its tool arguments, so
// they say what was expected and what was sent.

var depthMessage = "value is nested too deeply to validate (more than " + strconv.Itoa(maxDepth) +
	" nested schema applications)"

// maxDescribed bounds how much of an offending value a message quotes.
const maxDescribed = 64

// maxExplained bounds how many anyOf/oneOf alternatives a message explains.
const maxExplained = 4

// kindName is the JSON type of a value as the type keyword spells it.
func kindName(k jsonKind) string {
	switch k {
	case kindNull:
		return "null"
	case kindTrue, kindFalse:
		return "boolean"
	case kindNumber:
		return "number"
	case kindString:
		return "string"
	case kindArray:
		return "array"
	case kindObject:
		return "object"
	}
	return "invalid JSON"
}

// describe renders a value for a message: strings decoded and quoted,
// everything else as (compacted) JSON, both truncated.
func describe(v []byte) string {
	if valueKind(v) == kindString {
		return strconv.Quote(truncate(string(appendUnescaped(nil, stringContent(v))), maxDescribed))
	}
	return truncate(compactText(v), maxDescribed)
}

// truncate cuts s to at most max bytes on a rune boundary, marking the cut.
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return s[:max] + "…"
}

// bound says "at least 1 item", "at most 3 properties".
func bound(relation string, n int, noun string) string {
	return relation + " " + plural(n, noun)
}

func plural(n int, noun string) string {
	if n != 1 {
		if base, ok := strings.CutSuffix(noun, "y"); ok {
			noun = base + "ies"
		} else {
			noun += "s"
		}
	}
	return strconv.Itoa(n) + " " + noun
}

func oneOfMessage(first, second int) string {
	return "value matches alternatives " + strconv.Itoa(first) + " and " + strconv.Itoa(second) +
		" of oneOf, but must match exactly one"
}

// explain validates inst against n loudly and returns why it fails, with
// the location relative to the current one; messageOnly drops the
// location (for property names, which have none).
func (v *validator) explain(n *node, inst []byte, messageOnly bool) string {
	quiet, saved := v.quiet, v.err
	v.quiet, v.err = 0, nil
	here := v.pointer()
	v.validate(n, inst)
	e := v.err
	v.quiet, v.err = quiet, saved
	switch {
	case e == nil:
		return "valid"
	case messageOnly:
		return e.Message
	}
	if rel := strings.TrimPrefix(e.InstancePath, here); rel != "" {
		return rel + ": " + e.Message
	}
	return e.Message
}

// explainAll explains the first few alternatives of anyOf or oneOf.
func (v *validator) explainAll(list []*node, inst []byte) string {
	var b strings.Builder
	for i, n := range list {
		if i == maxExplained {
			b.WriteString("; …")
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString("(" + strconv.Itoa(i) + ") " + v.explain(n, inst, false))
	}
	return b.String()
}

// pointer renders the current instance location as a JSON Pointer.
func (v *validator) pointer() string {
	var b []byte
	for _, s := range v.path {
		b = append(b, '/')
		if s.key == nil {
			b = strconv.AppendInt(b, int64(s.index), 10)
			continue
		}
		for _, c := range appendUnescaped(nil, stringContent(s.key)) {
			switch c {
			case '~':
				b = append(b, "~0"...)
			case '/':
				b = append(b, "~1"...)
			default:
				b = append(b, c)
			}
		}
	}
	return string(b)
}
