package engine

// exchangeTable holds a legacy session's running POST exchanges by raw
// request id. Most sessions run one request at a time, so the first few
// live in a small array searched in place; past that a map takes over.
// Against a map per session this saves its memory on every idle session
// and, at 15K sessions, the cache misses of an insert and a delete per
// request. Owner loop only.
type exchangeTable struct {
	small [4]*exchange
	n     int // small[:n] are in use
	big   map[string]*exchange
}

func (t *exchangeTable) get(id []byte) *exchange {
	for _, ex := range t.small[:t.n] {
		if string(ex.key) == string(id) {
			return ex
		}
	}
	if t.big != nil {
		return t.big[string(id)]
	}
	return nil
}

// put adds ex under ex.key, which the caller has checked is not present.
func (t *exchangeTable) put(ex *exchange) {
	if t.n < len(t.small) {
		t.small[t.n] = ex
		t.n++
		return
	}
	if t.big == nil {
		t.big = make(map[string]*exchange)
	}
	t.big[string(ex.key)] = ex
}

// remove deletes and returns the exchange of id, or nil.
func (t *exchangeTable) remove(id []byte) *exchange {
	for i, ex := range t.small[:t.n] {
		if string(ex.key) == string(id) {
			t.n--
			t.small[i] = t.small[t.n]
			t.small[t.n] = nil
			return ex
		}
	}
	if ex := t.big[string(id)]; ex != nil {
		delete(t.big, string(id))
		return ex
	}
	return nil
}

func (t *exchangeTable) len() int { return t.n + len(t.big) }

// clear empties the table, calling fn with every exchange first.
func (t *exchangeTable) clear(fn func(*exchange)) {
	for _, ex := range t.small[:t.n] {
		fn(ex)
	}
	for _, ex := range t.big {
		fn(ex)
	}
	t.small, t.n, t.big = [len(t.small)]*exchange{}, 0, nil
}
