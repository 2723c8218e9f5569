package router

import (
	"context"

	"github.com/densemcp/densemcp/shards"
)

// postSure posts fn to shard sh from another goroutine (a worker, a
// timer), waiting while sh's inbox is full rather than losing fn: what it
// carries (a handler's answer, a call's deadline, the queue's wake-up, the
// forgetting of a map entry, a task's outcome, the sweep of expired
// tasks) frees state nothing else frees, or is a message a handler sent
// (progress, logs, a question to the client), which waiting slows down
// instead of losing. It gives up
// only when sh is closed. An inbox is full for the moment a burst takes to
// drain (gnet loops' queues are unbounded; the bounded ones are the stdio
// and net/http shards'), so the wait is short. Never from sh's own
// goroutine: only that goroutine drains the inbox. Nor from another
// shard's goroutine (two loops waiting on each other's inboxes deadlock),
// nor holding a lock a shard's goroutine may take (Router.mu).
func postSure(sh *shards.Shard, fn func()) error { return sh.PostWait(context.Background(), fn) }
