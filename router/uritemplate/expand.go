package uritemplate

import (
	"fmt"
	"slices"
)

// Expand builds the URI that t describes for vars (RFC 6570 §3). A value is
// a string, a []string (list) or a map[string]string (associative array,
// written in sorted key order so the result is deterministic). A missing
// name, nil, an empty list and an empty map are undefined and expand to
// nothing. Errors wrap ErrValueType or ErrPrefixComposite.
func (t *Template) Expand(vars map[string]any) (string, error) {
	dst, err := t.appendExpansion(make([]byte, 0, len(t.raw)+32), vars)
	if err != nil {
		return "", err
	}
	return string(dst), nil
}

func (t *Template) appendExpansion(dst []byte, vars map[string]any) ([]byte, error) {
	for i := range t.parts {
		p := &t.parts[i]
		if p.op == nil {
			dst = append(dst, p.literal...)
			continue
		}
		var err error
		if dst, err = appendExpression(dst, p, vars); err != nil {
			return nil, err
		}
	}
	return dst, nil
}

// appendExpression follows RFC 6570 Appendix A for one expression.
func appendExpression(dst []byte, p *part, vars map[string]any) ([]byte, error) {
	op := p.op
	defined := 0
	for i := range p.vars {
		v := &p.vars[i]
		value, ok := vars[v.name]
		if !ok || value == nil {
			continue
		}
		switch x := value.(type) {
		case string:
			dst = appendJoint(dst, op, &defined)
			dst = appendString(dst, op, v, x)
		case []string:
			if len(x) == 0 {
				continue
			}
			if v.prefix > 0 {
				return nil, fmt.Errorf("%w: variable %q", ErrPrefixComposite, v.name)
			}
			dst = appendJoint(dst, op, &defined)
			dst = appendList(dst, op, v, x)
		case map[string]string:
			if len(x) == 0 {
				continue
			}
			if v.prefix > 0 {
				return nil, fmt.Errorf("%w: variable %q", ErrPrefixComposite, v.name)
			}
			dst = appendJoint(dst, op, &defined)
			dst = appendMap(dst, op, v, x)
		default:
			return nil, fmt.Errorf("%w: variable %q has type %T", ErrValueType, v.name, value)
		}
	}
	return dst, nil
}

// appendJoint writes the operator's prefix before the first defined value
// and its separator before the others.
func appendJoint(dst []byte, op *operator, defined *int) []byte {
	*defined++
	if *defined > 1 {
		return append(dst, op.sep)
	}
	if op.first != 0 {
		return append(dst, op.first)
	}
	return dst
}

// appendNamed writes "name=" for named operators, or "name" plus ifemp when
// the value is empty; it reports whether the value itself is still to come.
func appendNamed(dst []byte, op *operator, name, value string) ([]byte, bool) {
	if !op.named {
		return dst, true
	}
	dst = append(dst, name...)
	if value == "" {
		if op.ifemp {
			dst = append(dst, '=')
		}
		return dst, false
	}
	return append(dst, '='), true
}

func appendString(dst []byte, op *operator, v *varSpec, s string) []byte {
	dst, more := appendNamed(dst, op, v.name, s)
	if !more {
		return dst
	}
	if v.prefix > 0 {
		s = truncateRunes(s, v.prefix)
	}
	return appendEncoded(dst, s, op.reserved)
}

func appendList(dst []byte, op *operator, v *varSpec, list []string) []byte {
	if !v.explode {
		if op.named {
			dst = append(append(dst, v.name...), '=')
		}
		for i, item := range list {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendEncoded(dst, item, op.reserved)
		}
		return dst
	}
	for i, item := range list {
		if i > 0 {
			dst = append(dst, op.sep)
		}
		var more bool
		if dst, more = appendNamed(dst, op, v.name, item); more {
			dst = appendEncoded(dst, item, op.reserved)
		}
	}
	return dst
}

func appendMap(dst []byte, op *operator, v *varSpec, m map[string]string) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !v.explode {
		if op.named {
			dst = append(append(dst, v.name...), '=')
		}
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendEncoded(dst, k, op.reserved)
			dst = append(dst, ',')
			dst = appendEncoded(dst, m[k], op.reserved)
		}
		return dst
	}
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, op.sep)
		}
		dst = appendEncoded(dst, k, op.reserved)
		if op.named && m[k] == "" {
			if op.ifemp {
				dst = append(dst, '=')
			}
			continue
		}
		dst = append(dst, '=')
		dst = appendEncoded(dst, m[k], op.reserved)
	}
	return dst
}
