package uritemplate

// matchPart is one step of Match: a literal, or an expression with what
// Match needs to know about its surroundings, worked out once by Parse.
type matchPart struct {
	part
	// starts holds the characters that open the expression: op.first, and
	// for a query group {?a}{&b} also '&' (Expand writes "&b=1" when a is
	// undefined).
	starts byteSet
	// terms holds the characters that may begin whatever follows: the start
	// characters of the following expressions (each may expand to nothing)
	// up to and including the first character of the next literal. A run
	// ends at the first of them; empty when anchor > 0.
	terms byteSet
	ends  byteSet // op.stops ∪ terms: the bytes that end this expression's run
	// anchor > 0: the next part is the template's last, a literal of anchor
	// bytes, so the run ends exactly where that literal starts as a suffix.
	anchor int
	// maxItems > 0 (path operator only): the run holds at most this many
	// '/'-separated items, one per variable, unless the last is exploded.
	maxItems int
	// index finds a named group's variable by name when the group has more
	// than linearLookupMax variables.
	index map[string]int
}

// buildMatchParts merges each run of adjacent named expressions of one kind
// ({;a}{;b}, or {?a} or {&a} followed by {&b}...) into one part, since
// their parameters may come in any order, and fills in the surroundings.
func buildMatchParts(parts []part) []matchPart {
	var mps []matchPart
	for i := 0; i < len(parts); i++ {
		p := parts[i]
		mp := matchPart{part: part{literal: p.literal, op: p.op}}
		mp.vars = append(mp.vars, p.vars...)
		if p.op != nil && p.op.first != 0 {
			mp.starts.add(p.op.first)
			for p.op.named && i+1 < len(parts) && continuesGroup(p.op, parts[i+1].op) {
				i++
				mp.vars = append(mp.vars, parts[i].vars...)
				mp.starts.add(parts[i].op.first)
			}
		}
		mps = append(mps, mp)
	}
	for i := range mps {
		mp := &mps[i]
		if mp.op == nil {
			continue
		}
		if len(mp.vars) == 0 {
			panic("BUG: uritemplate: expression without variables got past Parse")
		}
		if i+2 == len(mps) && mps[i+1].op == nil {
			mp.anchor = len(mps[i+1].literal)
		} else {
			for _, next := range mps[i+1:] {
				if next.op == nil {
					mp.terms.add(next.literal[0])
					break
				}
				mp.terms.union(&next.starts)
			}
		}
		if mp.op == opPath && !mp.vars[len(mp.vars)-1].explode {
			// A bounded path expression counts its own '/' separators, so a
			// '/' that follows it ({/a,b}{/c}, {/a,b}/x) ends the run only
			// once the expression has all its segments.
			mp.maxItems = len(mp.vars)
			mp.terms.remove('/')
		}
		mp.ends = mp.op.stops
		mp.ends.union(&mp.terms)
		if mp.op.named {
			markJoins(mp.vars)
			if len(mp.vars) > linearLookupMax {
				mp.index = make(map[string]int, len(mp.vars))
				for j := len(mp.vars) - 1; j >= 0; j-- {
					mp.index[mp.vars[j].name] = j // first occurrence wins
				}
			}
		}
	}
	return mps
}

func continuesGroup(first, next *operator) bool {
	if next == nil {
		return false
	}
	if first == opPathParam {
		return next == opPathParam
	}
	return (first == opQuery || first == opQueryCont) && next == opQueryCont
}

// markJoins sets join on exploded variables whose name occurs once in vars.
func markJoins(vars []varSpec) {
	for i := range vars {
		n := 0
		for j := range vars {
			if vars[j].id == vars[i].id {
				n++
			}
		}
		vars[i].join = vars[i].explode && n == 1
	}
}
