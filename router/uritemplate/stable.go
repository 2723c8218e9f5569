package uritemplate

// Stability: Match promises that, for a template whose variables each occur
// once, Match(Expand(vars)) == vars whenever Match(uri) returned vars. The
// URI Expand writes may differ from uri: values are re-encoded (%2F decoded
// into {+p} is written back as '/'), ignored parameters and their groups
// vanish, undefined expressions write nothing. Match therefore refuses a URI
// as soon as a bound value or a skipped part would make the re-expanded URI
// split differently. Two kinds of checks do it:
//
//   - inside a run: stable (below) and the separator check in items keep a
//     value's encoding free of the bytes that would end its run early;
//   - at the seams between parts: the first byte the re-expanded URI has
//     after each run must still end that run, and must not be the start
//     character of an expression found absent just before (or of a named
//     group that vanishes). The matcher keeps the set of such allowed bytes
//     in next while anything is pending (constrained), and emit checks each
//     first byte written by a literal, a start character or a value.

// stable reports whether val, expanded again, keeps the expression's run
// intact. It would not if its encoding held a byte that ends the run (a %2F
// decoded inside {+dir} before "/{name}") or, for + and #, a pct-triplet,
// which reserved expansion copies undecoded.
func (m *matcher) stable(mp *matchPart, val string) bool {
	if mp.op.reserved {
		m.steps += len(val)
		if hasTriplet(val) {
			return false
		}
	}
	if mp.terms.empty() {
		return true
	}
	m.steps += len(val)
	return !encodedContains(val, mp.op.reserved, &mp.terms)
}

// emit records that the re-expanded URI continues here with byte c.
func (m *matcher) emit(c byte) bool {
	if m.constrained && !m.next.has(c) {
		return false
	}
	m.constrained = false
	return true
}

// emitStart is emit for a present expression's start character. A query
// group {?a}{&b} is written with '?' or '&' depending on which variables
// are defined, so both must be allowed.
func (m *matcher) emitStart(mp *matchPart) bool {
	if m.constrained {
		for i := range mp.starts {
			if mp.starts[i]&^m.next[i] != 0 {
				return false
			}
		}
	}
	m.constrained = false
	return true
}

// emitValue is emit for the first value of an expression without a start
// character ({a}, {+a}). An empty value writes nothing unless more values
// follow, which write the separator first.
func (m *matcher) emitValue(mp *matchPart, first string, more bool) bool {
	switch {
	case first != "" && emitsRaw(mp.op.reserved, first[0]):
		return m.emit(first[0])
	case first != "":
		return m.emit('%')
	case more:
		return m.emit(mp.op.sep)
	}
	return true
}

// forbid records an expression that writes nothing here: the re-expanded URI
// must not continue with one of its start characters, or Match would find
// it present. With {/dir}{+rest}, %2Fx gives rest "/x", written as /x.
func (m *matcher) forbid(starts *byteSet) {
	if !m.constrained {
		m.next, m.constrained = allBytes, true
	}
	for i := range m.next {
		m.next[i] &^= starts[i]
	}
}

// ended records that a present expression's run ended here: unless anchored,
// the re-expanded URI must continue with a byte that ends it again. That
// holds by itself unless something in between vanishes: {+a}{;b}{+c} on
// x;/y leaves {;b} empty, and x/y would give {+a} all of it. full says the
// run of a path expression ended at a '/' because it had all its segments,
// which it will have again.
func (m *matcher) ended(mp *matchPart, full bool) {
	if mp.anchor > 0 {
		return
	}
	ends := mp.ends
	if full {
		ends.add('/')
	}
	if !m.constrained {
		m.next, m.constrained = ends, true
		return
	}
	for i := range m.next {
		m.next[i] &= ends[i]
	}
}

var allBytes = byteSet{^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)}
