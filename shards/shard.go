// Package shards holds per-event-loop state. There is one Shard per gnet
// loop (and one for the stdio transport). Everything a Shard owns is touched
// only on its own goroutine, so the request path takes no lock; other
// goroutines reach a shard by message passing (Post), never by sharing.
package shards

import (
	"errors"
	"unsafe"

	"github.com/cespare/xxhash/v2"
)

// ErrClosed reports that the shard's loop has stopped and cannot run tasks.
var ErrClosed = errors.New("shard is closed")

// Executor runs fn later on the shard's own goroutine. Implementations are
// safe for concurrent use (gnet's EventLoop.Execute, the stdio inbox).
type Executor interface {
	Execute(fn func()) error
}

// Member is a session registered with its shard to hear about changes
// (list_changed fan-out). Methods are called on the shard's goroutine.
type Member interface {
	// Notify is told of a change of kind (a small enum owned by the router)
	// and the key it concerns (a resource URI, or empty).
	Notify(kind uint8, key string)
}

// Shard is one loop's partition of server state.
type Shard struct {
	// ID is the shard's index in its Set, stable for the process lifetime.
	ID int

	exec    Executor
	members map[Member]struct{}
	// Scratch is a reusable buffer for encoding on this shard's goroutine.
	// Whoever uses it must finish with it before returning to the loop.
	Scratch []byte
	// Arrived is when the input being handled now was read (Now), set by
	// the transport while the router times requests and 0 otherwise:
	// requests read together share one clock read.
	Arrived int64
}

// New returns a shard running its tasks on exec.
func New(id int, exec Executor) *Shard {
	s := &new(paddedShard).Shard
	*s = Shard{ID: id, exec: exec, members: make(map[Member]struct{})}
	return s
}

// A loop writes its Shard on every read (Arrived, Scratch), and the shards
// of all loops are allocated one after another by one goroutine at start:
// unpadded, two loops' shards could share a cache line and each loop's
// writes would invalidate the other's copy. Rounded up to whole lines (Go
// places objects of a size class that is a multiple of 64 on 64-byte
// boundaries) they never do, whatever fields Shard gains.
const (
	cacheLine = 64
	shardPad  = (cacheLine - unsafe.Sizeof(Shard{})%cacheLine) % cacheLine
)

type paddedShard struct {
	_ [shardPad]byte // first: a zero-size last field would add a word
	Shard
}

// Post runs fn on the shard's goroutine. Safe from any goroutine.
func (s *Shard) Post(fn func()) error { return s.exec.Execute(fn) }

// Join registers m for change notifications. Shard goroutine only.
func (s *Shard) Join(m Member) { s.members[m] = struct{}{} }

// Leave unregisters m. Shard goroutine only.
func (s *Shard) Leave(m Member) { delete(s.members, m) }

// Members returns how many members have joined. Shard goroutine only.
func (s *Shard) Members() int { return len(s.members) }

// Notify tells every member of a change. Shard goroutine only.
func (s *Shard) Notify(kind uint8, key string) {
	for m := range s.members {
		m.Notify(kind, key)
	}
}

// Set is the fixed list of shards of one server.
type Set struct {
	shards []*Shard
}

// NewSet returns a set over the given shards; their IDs must be 0..n-1.
func NewSet(ss ...*Shard) *Set {
	for i, s := range ss {
		if s.ID != i {
			panic("BUG: shard IDs must be 0..n-1 in order")
		}
	}
	return &Set{shards: ss}
}

// Len returns the number of shards.
func (s *Set) Len() int { return len(s.shards) }

// At returns shard i.
func (s *Set) At(i int) *Shard { return s.shards[i] }

// Pick maps a key (a session id, a resource URI) to its owning shard with
// xxhash, so any loop can find a key's owner without a shared map.
func (s *Set) Pick(key []byte) *Shard {
	return s.shards[Index(key, len(s.shards))]
}

// Index maps key to one of n slots with xxhash.
func Index(key []byte, n int) int {
	if n <= 1 {
		return 0
	}
	return int(xxhash.Sum64(key) % uint64(n))
}

// Broadcast posts fn to every shard; each runs it on its own goroutine.
// It returns the first error, after trying every shard.
func (s *Set) Broadcast(fn func(*Shard)) error {
	var first error
	for _, sh := range s.shards {
		sh := sh
		if err := sh.Post(func() { fn(sh) }); err != nil && first == nil {
			first = err
		}
	}
	return first
}
