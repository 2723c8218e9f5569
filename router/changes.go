package router

import (
	"errors"
	"sync"

	"github.com/densemcp/densemcp/shards"
)

// maxPendingURIs bounds the resource URIs whose "updated" notification
// waits for one shard's full inbox (pendingChanges); maxPendingPosts bounds
// the other tasks waiting there (postOrKeep).
const (
	maxPendingURIs  = 4096
	maxPendingPosts = 4096
)

// pendingChanges holds the change notifications that one shard's inbox had
// no room for. A change is raised under Router.mu (a registration,
// RemoveTools, ResourceUpdated, a cluster peer's change), where waiting
// for room could deadlock a handler on that shard that changes the
// catalog; dropping it would leave the shard's sessions never told. So a
// refused change is kept here, and one goroutine per shard, holding no
// lock, waits for room (postSure) and hands the shard everything kept by
// then. Changes coalesce: a list_changed is one bit per kind, an updated
// resource one entry per URI (at most maxPendingURIs: past that, a
// further URI's update is not told, the one bound this puts on memory).
// Other posts that cannot wait (one loop's task notification to a session
// on another loop: postOrKeep) are kept in order, at most maxPendingPosts.
// While anything is kept, later posts join it instead of overtaking it in
// the inbox.
type pendingChanges struct {
	mu      sync.Mutex
	kinds   uint8 // bit 1<<kind for changeTools, changePrompts, changeResources
	uris    map[string]struct{}
	posts   []func()
	waiting bool // a goroutine is waiting to deliver kinds, uris and posts
}

// tellShard has shard sh's goroutine tell its sessions of a change. It
// never waits, so it is safe under Router.mu and from any goroutine. It
// reports false only when sh is closed (no loop, so no sessions to tell).
func (r *Router) tellShard(sh *shards.Shard, kind uint8, key string) bool {
	p := &r.stateOf(sh.ID).changes
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.waiting && !r.postOrWait(sh, p, func() { sh.Notify(kind, key) }) {
		return false
	}
	if p.waiting {
		p.keep(kind, key)
	}
	return true
}

// postOrKeep posts fn to shard sh, or keeps it for sh's delivering
// goroutine when sh's inbox is full. It never waits: for posts from one
// shard's goroutine to another's. It reports false when sh is closed, or
// fn could not be kept (maxPendingPosts reached).
func (r *Router) postOrKeep(sh *shards.Shard, fn func()) bool {
	p := &r.stateOf(sh.ID).changes
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.waiting && !r.postOrWait(sh, p, fn) {
		return false
	}
	if p.waiting {
		if len(p.posts) >= maxPendingPosts {
			return false
		}
		p.posts = append(p.posts, fn)
	}
	return true
}

// postOrWait posts fn to sh; on a full inbox it starts sh's delivering
// goroutine (p.waiting is then true, and the caller keeps fn). It reports
// false when sh is closed. p.mu held, nothing kept.
func (r *Router) postOrWait(sh *shards.Shard, p *pendingChanges, fn func()) bool {
	err := sh.Post(fn)
	if !errors.Is(err, shards.ErrInboxFull) {
		return err == nil
	}
	p.waiting = true
	go r.deliverChanges(sh, p)
	return true
}

// keep adds one change to those waiting. p.mu held.
func (p *pendingChanges) keep(kind uint8, key string) {
	if kind != changeResourceUpdated {
		p.kinds |= 1 << kind
		return
	}
	if _, ok := p.uris[key]; ok {
		return
	}
	if len(p.uris) >= maxPendingURIs {
		return
	}
	if p.uris == nil {
		p.uris = make(map[string]struct{})
	}
	p.uris[key] = struct{}{}
}

// deliverChanges waits for room in sh's inbox and hands it the changes
// and posts kept by the time it runs there. Its own goroutine: it holds no
// lock.
func (r *Router) deliverChanges(sh *shards.Shard, p *pendingChanges) {
	err := postSure(sh, func() {
		p.mu.Lock()
		kinds, uris, posts := p.kinds, p.uris, p.posts
		p.kinds, p.uris, p.posts, p.waiting = 0, nil, nil, false
		p.mu.Unlock()
		for kind := changeTools; kind <= changeResources; kind++ {
			if kinds&(1<<kind) != 0 {
				sh.Notify(kind, "")
			}
		}
		for uri := range uris {
			sh.Notify(changeResourceUpdated, uri)
		}
		for _, fn := range posts {
			fn()
		}
	})
	if err != nil { // sh closed: it has no sessions left to tell
		p.mu.Lock()
		p.kinds, p.uris, p.posts, p.waiting = 0, nil, nil, false
		p.mu.Unlock()
	}
}
