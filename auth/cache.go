package auth

import (
	"sync"

	"github.com/densemcp/densemcp/router"
)

// verdict is what a token decides: a principal (allowed), or a status and
// challenge. Verdicts of verified tokens are cached until until (unix
// nanoseconds).
type verdict struct {
	p         *router.Principal
	status    int
	challenge string
	until     int64
}

// loopCache holds the verdicts one event loop has used. Only that loop's
// goroutine touches it, so the hot path takes no lock: a map lookup keyed
// by the token's bytes (Go does not allocate for m[string(b)]). Keyed by the
// whole token, never a hash of it: a hash collision must not let one token
// pass for another.
type loopCache struct {
	m map[string]verdict
}

func (c *loopCache) get(tok []byte, now int64) (verdict, bool) {
	v, ok := c.m[string(tok)]
	if !ok {
		return verdict{}, false
	}
	if now >= v.until {
		delete(c.m, string(tok))
		return verdict{}, false
	}
	return v, true
}

func (c *loopCache) put(tok []byte, v verdict) {
	if len(c.m) >= loopCacheEntries {
		for k := range c.m { // map order is random: a random victim
			delete(c.m, k)
			break
		}
	}
	c.m[string(tok)] = v
}

// sharedCache holds every verified verdict, so a token verified for one
// loop is not verified again (an introspection round trip, a signature)
// for each of the others. Reached only when a loop's own cache misses.
type sharedCache struct {
	mu sync.Mutex
	m  map[string]verdict
}

func (c *sharedCache) get(tok []byte, now int64) (verdict, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[string(tok)]
	if !ok {
		return verdict{}, false
	}
	if now >= v.until {
		delete(c.m, string(tok))
		return verdict{}, false
	}
	return v, true
}

func (c *sharedCache) put(tok string, v verdict) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]verdict)
	}
	if len(c.m) >= sharedCacheEntries {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[tok] = v
}

// loops returns loop i's cache, growing the table on a loop's first use
// (copy-on-write: loops read it with one atomic load).
func (a *Authorizer) loop(i int) *loopCache {
	if t := a.loops.Load(); t != nil && i < len(*t) {
		return (*t)[i]
	}
	a.loopsMu.Lock()
	defer a.loopsMu.Unlock()
	var t []*loopCache
	if old := a.loops.Load(); old != nil {
		t = append(t, *old...)
	}
	for len(t) <= i {
		t = append(t, &loopCache{m: make(map[string]verdict)})
	}
	a.loops.Store(&t)
	return t[i]
}
