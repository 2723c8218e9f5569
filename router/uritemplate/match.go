package uritemplate

import "strings"

// Match reports whether uri is an expansion of t and, when it is, returns
// the variable values, percent-decoded. The package documentation gives the
// exact rules. Match runs in O(len(uri) + len(template)) time, with no
// regular expression and no backtracking.
func (t *Template) Match(uri string) (vars map[string]string, ok bool) {
	pairs, ok := t.MatchInto(uri, nil)
	if !ok {
		return nil, false
	}
	vars = make(map[string]string, len(pairs))
	for _, p := range pairs {
		vars[p.Name] = p.Value
	}
	return vars, true
}

// MatchInto is Match appending one Var per bound variable to dst, in the
// order the values occur in uri. Values alias uri unless they had to be
// decoded or joined, so with room in dst it allocates nothing for URIs
// without %-escapes. On failure it returns dst unchanged and false.
func (t *Template) MatchInto(uri string, dst []Var) ([]Var, bool) {
	var m matcher
	return m.run(t, uri, dst)
}

// matchSteps runs Match and returns the work it did, for the linear-time
// tests.
func (t *Template) matchSteps(uri string) (steps int, ok bool) {
	var m matcher
	_, ok = m.run(t, uri, nil)
	return m.steps, ok
}

// matcher is the state of one Match call. It lives on the caller's stack:
// the per-variable bookkeeping is in fixed arrays sized by MaxVariables.
type matcher struct {
	uri  string
	pos  int // next byte of uri to match
	dst  []Var
	base int // len(dst) on entry
	// steps counts bytes and table entries examined; tests bound it.
	steps int
	// slot[id] is 1 + the index in dst[base:] of variable id's pair; 0 while
	// the variable is unbound.
	slot [MaxVariables]uint16
	// limit[id] is 0 when variable id's value is exact, or N when it came
	// from {var:N} with N characters and so may be a prefix of the value.
	limit [MaxVariables]uint16
	// joins[id] collects the list of an exploded variable repeated in a
	// named group; allocated on the first repeat only.
	joins [][]byte
	// next holds the bytes the URI may continue with, once expanded again
	// from the values bound so far, when constrained (see stable.go).
	next        byteSet
	constrained bool
}

func (m *matcher) run(t *Template, uri string, dst []Var) ([]Var, bool) {
	m.uri, m.dst, m.base = uri, dst, len(dst)
	for i := range t.match {
		mp := &t.match[i]
		ok := false
		if mp.op == nil {
			ok = m.literal(mp.literal)
		} else {
			ok = m.expression(mp)
		}
		if !ok {
			return dst[:m.base], false
		}
	}
	if m.pos != len(uri) {
		return dst[:m.base], false
	}
	return m.dst, true
}

func (m *matcher) literal(lit string) bool {
	m.steps += len(lit)
	if !strings.HasPrefix(m.uri[m.pos:], lit) || !m.emit(lit[0]) {
		return false
	}
	m.pos += len(lit)
	return true
}

// expression finds the run of uri the expression covers, in one forward
// scan, and binds its values. It never reconsiders the run's end.
func (m *matcher) expression(mp *matchPart) bool {
	uri, end := m.uri, len(m.uri)
	if mp.anchor > 0 {
		if end -= mp.anchor; end < m.pos {
			return false
		}
	}
	if mp.op.first != 0 {
		if m.pos >= end {
			// Nothing left (before an anchored literal: no room for the
			// expression), so it expanded to nothing; Expand agrees.
			return true
		}
		if !mp.starts.has(uri[m.pos]) {
			m.forbid(&mp.starts) // absent
			return true
		}
		m.pos++
	}
	start := m.pos
	i := runEnd(uri[:end], start, &mp.ends, mp.maxItems)
	m.steps += i - start + 1
	if mp.anchor > 0 && i != end {
		return false
	}
	m.pos = i
	if mp.op.named {
		return m.group(mp, uri[start:i])
	}
	if mp.op.first != 0 && !m.emitStart(mp) {
		return false
	}
	if !m.items(mp, uri[start:i]) {
		return false
	}
	m.ended(mp, mp.maxItems > 0 && i < end && uri[i] == '/')
	return true
}

// runEnd returns the index of the first byte of s at or after start that is
// in ends or is the maxItems-th '/' (maxItems 0: no limit), or len(s). This
// loop is where Match spends its time; the set is copied to a local so the
// compiler keeps it in registers.
func runEnd(s string, start int, ends *byteSet, maxItems int) int {
	set := *ends
	if set.empty() && maxItems == 0 {
		return len(s) // {+path} ending the template: nothing to look at
	}
	if maxItems == 0 {
		for i := start; i < len(s); i++ {
			if set.has(s[i]) {
				return i
			}
		}
		return len(s)
	}
	items := 0
	for i := start; i < len(s); i++ {
		c := s[i]
		if set.has(c) {
			return i
		}
		if c == '/' {
			if items++; items == maxItems {
				return i
			}
		}
	}
	return len(s)
}

// items assigns the separator-delimited items of an unnamed expression's run
// to its variables in order; the last variable takes whatever is left.
func (m *matcher) items(mp *matchPart, run string) bool {
	last := len(mp.vars) - 1
	for i := range mp.vars {
		item, more := run, false
		if i < last {
			if j := strings.IndexByte(run, mp.op.sep); j >= 0 {
				item, run, more = run[:j], run[j+1:], true
			}
		}
		m.steps += len(item) + 1
		val, ok := m.decode(item)
		if !ok || !m.stable(mp, val) {
			return false
		}
		if i == 0 && mp.op.first == 0 && !m.emitValue(mp, val, more) {
			return false
		}
		// Re-expanded, a separator inside a value that is not the last would
		// split it in two.
		if i < last {
			m.steps += len(val)
			if encodedContains(val, mp.op.reserved, &mp.op.seps) {
				return false
			}
		}
		if !m.bind(&mp.vars[i], val, len(m.dst)) {
			return false
		}
		if !more {
			return true
		}
	}
	return true
}

// group binds a named group. Expand writes nothing for a group whose
// parameters were all ignored, so such a group counts as absent.
func (m *matcher) group(mp *matchPart, run string) bool {
	groupStart := len(m.dst)
	if !m.params(mp, run, groupStart) {
		return false
	}
	if len(m.dst) == groupStart {
		m.forbid(&mp.starts)
		return true
	}
	if !m.emitStart(mp) {
		return false
	}
	m.ended(mp, false)
	return true
}

// params binds the name=value parameters of a named group's run, in any
// order; parameters of other names are ignored.
func (m *matcher) params(mp *matchPart, run string, groupStart int) bool {
	for {
		param := run
		j := strings.IndexByte(run, mp.op.sep)
		if j >= 0 {
			param = run[:j]
		}
		m.steps += len(param) + 1
		name, raw, _ := strings.Cut(param, "=")
		if v := m.lookup(mp, name); v != nil {
			val, ok := m.decode(raw)
			if !ok || !m.stable(mp, val) {
				return false
			}
			// Expand writes "name=value" ("name=" or "name" when empty).
			if mp.terms.has('=') && (val != "" || mp.op.ifemp) {
				return false
			}
			if !m.bind(v, val, groupStart) {
				return false
			}
		}
		if j < 0 {
			if m.joins != nil {
				m.flushJoins(mp)
			}
			return true
		}
		run = run[j+1:]
	}
}

func (m *matcher) lookup(mp *matchPart, name string) *varSpec {
	if mp.index != nil {
		m.steps += len(name) + 1
		if i, ok := mp.index[name]; ok {
			return &mp.vars[i]
		}
		return nil
	}
	for i := range mp.vars {
		m.steps++
		if mp.vars[i].name == name {
			return &mp.vars[i]
		}
	}
	return nil
}

func (m *matcher) decode(raw string) (string, bool) {
	m.steps += len(raw)
	return pctDecode(raw)
}

// bind records v = val. A variable bound before must agree (see agree),
// except that repeats of an exploded variable in one named group
// ({?tag*} on ?tag=a&tag=b) are collected as a comma-separated list.
func (m *matcher) bind(v *varSpec, val string, groupStart int) bool {
	limit := 0
	if v.prefix > 0 {
		m.steps += len(val)
		n := runeCount(val)
		if n > v.prefix {
			return false
		}
		if n == v.prefix {
			limit = v.prefix // the value may have been longer
		}
	}
	s := m.slot[v.id]
	if s == 0 {
		m.dst = append(m.dst, Var{Name: v.name, Value: val})
		m.slot[v.id] = uint16(len(m.dst) - m.base)
		m.limit[v.id] = uint16(limit)
		return true
	}
	j := m.base + int(s) - 1
	if v.join && j >= groupStart {
		m.join(v.id, j, val)
		return true
	}
	return m.agree(v.id, j, val, limit)
}

// join appends ",val" to variable id's collected list. Lists grow in a
// buffer turned into the value once, by flushJoins at the end of the group:
// concatenating strings per parameter would be quadratic.
func (m *matcher) join(id, j int, val string) {
	if m.joins == nil {
		m.joins = make([][]byte, MaxVariables)
	}
	buf := m.joins[id]
	if buf == nil {
		buf = append(buf, m.dst[j].Value...)
	}
	m.joins[id] = append(append(buf, ','), val...)
	m.steps += len(val) + 1
}

func (m *matcher) flushJoins(mp *matchPart) {
	for i := range mp.vars {
		id := mp.vars[i].id
		if buf := m.joins[id]; buf != nil {
			m.steps += len(buf)
			m.dst[m.base+int(m.slot[id])-1].Value = string(buf)
			m.joins[id] = nil
		}
	}
}

// agree merges a repeated variable's new binding (val, limit) into its pair
// dst[j]. Each binding is exact (limit 0) or the first limit characters of
// the value, so {var:3}/{var} agrees on "val/value" and keeps "value".
func (m *matcher) agree(id, j int, val string, limit int) bool {
	old, oldLimit := m.dst[j].Value, int(m.limit[id])
	m.steps += len(old) + len(val)
	switch {
	case oldLimit == 0 && limit == 0:
		return old == val
	case oldLimit == 0 || limit != 0 && limit <= oldLimit:
		return truncateRunes(old, limit) == val
	default: // the new binding knows more characters
		if truncateRunes(val, oldLimit) != old {
			return false
		}
		m.dst[j].Value, m.limit[id] = val, uint16(limit)
		return true
	}
}
