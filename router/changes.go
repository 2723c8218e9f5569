package router

import (
	"errors"
	"sync"

	"github.com/densemcp/densemcp/shards"
)

// maxPendingURIs bounds the resource URIs whose "updated" notification
// waits for one shard's full inbox (pendingChanges).
const maxPendingURIs = 4096

// pendingChanges holds the change notifications that one shard's inbox had
// no room for. A change is raised under Router.mu (a registration,
// RemoveTools, ResourceUpdated, a cluster peer's change), where waiting
// for room could deadlock a handler on that shard that changes the
// catalog; dropping it would leave the shard's sessions never told. So a
// refused change is kept here, and one goroutine per shard, holding no
// lock, waits for room (postSure) and hands the shard everything kept by
// then. Changes coalesce: a list_changed is one bit per kind, an updated
// resource one entry per URI (at most maxPendingURIs: past that, a
// further URI's update is not told, the one bound this puts on memory). While changes are kept,
// later ones join them instead of overtaking them in the inbox.
type pendingChanges struct {
	mu      sync.Mutex
	kinds   uint8 // bit 1<<kind for changeTools, changePrompts, changeResources
	uris    map[string]struct{}
	waiting bool // a goroutine is waiting to deliver kinds and uris
}

// tellShard has shard sh's goroutine tell its sessions of a change. It
// never waits, so it is safe under Router.mu and from any goroutine. It
// reports false only when sh is closed (no loop, so no sessions to tell).
func (r *Router) tellShard(sh *shards.Shard, kind uint8, key string) bool {
	p := &r.stateOf(sh.ID).changes
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.waiting {
		err := sh.Post(func() { sh.Notify(kind, key) })
		if !errors.Is(err, shards.ErrInboxFull) {
			return err == nil
		}
		p.waiting = true
		go r.deliverChanges(sh, p)
	}
	p.keep(kind, key)
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
// kept by the time it runs there. Its own goroutine: it holds no lock.
func (r *Router) deliverChanges(sh *shards.Shard, p *pendingChanges) {
	err := postSure(sh, func() {
		p.mu.Lock()
		kinds, uris := p.kinds, p.uris
		p.kinds, p.uris, p.waiting = 0, nil, false
		p.mu.Unlock()
		for kind := changeTools; kind <= changeResources; kind++ {
			if kinds&(1<<kind) != 0 {
				sh.Notify(kind, "")
			}
		}
		for uri := range uris {
			sh.Notify(changeResourceUpdated, uri)
		}
	})
	if err != nil { // sh closed: it has no sessions left to tell
		p.mu.Lock()
		p.kinds, p.uris, p.waiting = 0, nil, false
		p.mu.Unlock()
	}
}
