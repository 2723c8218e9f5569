package router

import (
	"errors"
	"time"

	"github.com/densemcp/densemcp/shards"
)

// postSure posts fn to shard sh from another goroutine (a worker, a
// timer), waiting while sh's inbox is full rather than losing fn: what it
// carries (a handler's answer, a call's deadline, the queue's wake-up, the
// forgetting of a map entry) frees state nothing else frees. It gives up
// only when sh is closed. An inbox is full for the moment a burst takes to
// drain (gnet loops' queues are unbounded; the bounded ones are the stdio
// and net/http shards'), so the wait is short. Never from sh's own
// goroutine: only that goroutine drains the inbox.
func postSure(sh *shards.Shard, fn func()) error {
	wait := 50 * time.Microsecond
	for {
		err := sh.Post(fn)
		if !errors.Is(err, shards.ErrInboxFull) {
			return err
		}
		time.Sleep(wait)
		wait = min(2*wait, 10*time.Millisecond)
	}
}
