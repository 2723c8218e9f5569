package shards

import "sync"

// DefaultInboxSize bounds the tasks waiting for a goroutine that is not a
// gnet loop (the stdio transport). Posting to a full inbox fails rather than
// blocking the poster.
const DefaultInboxSize = 4096

// ErrInboxFull reports that an Inbox refused a task because it was full.
var ErrInboxFull = errInboxFull{}

type errInboxFull struct{}

func (errInboxFull) Error() string { return "shard inbox is full" }

// Inbox is an Executor for a goroutine that owns a shard outside gnet: the
// owner selects on C and runs what arrives.
type Inbox struct {
	C      chan func()
	mu     sync.Mutex // guards closed against a concurrent Close
	closed bool
}

// NewInbox returns an inbox holding at most size tasks.
func NewInbox(size int) *Inbox {
	if size <= 0 {
		size = DefaultInboxSize
	}
	return &Inbox{C: make(chan func(), size)}
}

// Execute queues fn without blocking.
func (in *Inbox) Execute(fn func()) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.closed {
		return ErrClosed
	}
	select {
	case in.C <- fn:
		return nil
	default:
		return ErrInboxFull
	}
}

// Close refuses further tasks.
func (in *Inbox) Close() {
	in.mu.Lock()
	in.closed = true
	in.mu.Unlock()
}
