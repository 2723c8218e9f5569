package router

import (
	"context"
	"errors"
	"time"

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
func postSure(sh *shards.Shard, fn func()) error { return postUntil(context.Background(), sh, fn) }

// postUntil is postSure that also gives up when ctx ends, returning
// ctx's error. A handler's own messages (progress, logs) wait
// this way, bounded by the handler's context: a handler holding a lock
// that the shard's goroutine is waiting for (an inline handler taking the
// same mutex) would otherwise wait for room that never comes, and its
// timeout, which cancels that context, now ends the wait.
func postUntil(ctx context.Context, sh *shards.Shard, fn func()) error {
	wait := 50 * time.Microsecond
	var timer *time.Timer
	for {
		err := sh.Post(fn)
		if !errors.Is(err, shards.ErrInboxFull) {
			return err
		}
		if ctx.Done() == nil { // never ends
			time.Sleep(wait)
		} else {
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			select {
			case <-ctx.Done():
				timer.Stop()
				return ctx.Err()
			case <-timer.C:
			}
		}
		wait = min(2*wait, 10*time.Millisecond)
	}
}
