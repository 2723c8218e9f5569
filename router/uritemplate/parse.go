package uritemplate

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Parse checks s against the RFC 6570 grammar (all four levels) and prepares
// it for Expand and Match. Errors wrap ErrMalformed, ErrTooLong or
// ErrTooManyVariables.
func Parse(s string) (*Template, error) {
	if len(s) > MaxTemplateLength {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLong, len(s), MaxTemplateLength)
	}
	p := parser{t: &Template{raw: s}, ids: map[string]int{}}
	if err := p.parse(s); err != nil {
		return nil, err
	}
	p.t.match = buildMatchParts(p.t.parts)
	return p.t, nil
}

type parser struct {
	t       *Template
	ids     map[string]int // variable name -> index in t.names
	nvars   int
	literal []byte // the literal being collected, already expanded
}

func (p *parser) parse(s string) error {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '{':
			end := strings.IndexByte(s[i+1:], '}')
			if end < 0 {
				return fmt.Errorf("%w: unclosed expression at offset %d", ErrMalformed, i)
			}
			p.flushLiteral()
			if err := p.expression(s[i+1:i+1+end], i); err != nil {
				return err
			}
			i += end + 2
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return fmt.Errorf("%w: bad percent-encoding at offset %d", ErrMalformed, i)
			}
			p.literal = append(p.literal, s[i:i+3]...)
			i += 3
		case c < utf8.RuneSelf:
			if charClass[c]&classLiteral == 0 {
				return fmt.Errorf("%w: character %q not allowed at offset %d", ErrMalformed, c, i)
			}
			p.literal = append(p.literal, c)
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 || !isUCSChar(r) {
				return fmt.Errorf("%w: character %q not allowed at offset %d", ErrMalformed, r, i)
			}
			// RFC 6570 §3.1: literal characters not allowed in a URI are
			// pct-encoded as UTF-8.
			p.literal = appendEncoded(p.literal, s[i:i+size], false)
			i += size
		}
	}
	p.flushLiteral()
	return nil
}

// isUCSChar reports whether r is a ucschar or iprivate (RFC 6570 §1.5).
func isUCSChar(r rune) bool {
	switch {
	case 0xA0 <= r && r <= 0xD7FF, 0xE000 <= r && r <= 0xFDCF, 0xFDF0 <= r && r <= 0xFFEF:
		return true
	case 0xE0000 <= r && r <= 0xE0FFF: // ucschar resumes at %xE1000
		return false
	case 0x10000 <= r && r <= 0xEFFFD:
		return r&0xFFFF <= 0xFFFD
	case 0xF0000 <= r && r <= 0x10FFFD:
		return r&0xFFFF <= 0xFFFD
	}
	return false
}

func (p *parser) flushLiteral() {
	if len(p.literal) > 0 {
		p.t.parts = append(p.t.parts, part{literal: string(p.literal)})
		p.literal = p.literal[:0]
	}
}

// expression parses the text between '{' and '}' that starts at offset at.
func (p *parser) expression(expr string, at int) error {
	if expr == "" {
		return fmt.Errorf("%w: empty expression at offset %d", ErrMalformed, at)
	}
	op := opSimple
	if o := operatorFor(expr[0]); o != nil {
		op, expr = o, expr[1:]
	} else if strings.IndexByte("=,!@|", expr[0]) >= 0 {
		return fmt.Errorf("%w: operator %q at offset %d is reserved", ErrMalformed, expr[0], at)
	}
	pt := part{op: op}
	for spec := range strings.SplitSeq(expr, ",") {
		v, err := p.varSpec(spec, at)
		if err != nil {
			return err
		}
		pt.vars = append(pt.vars, v)
	}
	p.t.parts = append(p.t.parts, pt)
	return nil
}

func (p *parser) varSpec(spec string, at int) (varSpec, error) {
	var v varSpec
	name := spec
	if n, ok := strings.CutSuffix(spec, "*"); ok {
		name, v.explode = n, true
	} else if k := strings.IndexByte(spec, ':'); k >= 0 {
		name = spec[:k]
		n, ok := parsePrefix(spec[k+1:])
		if !ok {
			return v, fmt.Errorf("%w: bad prefix in %q at offset %d", ErrMalformed, spec, at)
		}
		v.prefix = n
	}
	if !validVarName(name) {
		return v, fmt.Errorf("%w: bad variable name %q at offset %d", ErrMalformed, name, at)
	}
	if p.nvars++; p.nvars > MaxVariables {
		return v, fmt.Errorf("%w: limit %d", ErrTooManyVariables, MaxVariables)
	}
	id, seen := p.ids[name]
	if !seen {
		id = len(p.t.names)
		p.ids[name] = id
		p.t.names = append(p.t.names, name)
	}
	v.name, v.id = name, id
	return v, nil
}

// parsePrefix parses max-length: %x31-39 0*3DIGIT.
func parsePrefix(s string) (int, bool) {
	if s == "" || len(s) > 4 || s[0] < '1' || s[0] > '9' {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, n <= maxPrefixLength
}

// validVarName checks varname = varchar *( ["."] varchar ), where varchar is
// ALPHA / DIGIT / "_" / pct-encoded.
func validVarName(s string) bool {
	afterDot := true // a name may not start with '.'
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == '.':
			if afterDot {
				return false
			}
			afterDot = true
			i++
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return false
			}
			afterDot = false
			i += 3
		case charClass[c]&classVarchar != 0:
			afterDot = false
			i++
		default:
			return false
		}
	}
	return !afterDot
}
