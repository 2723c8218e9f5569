package shards

import (
	"context"
	"errors"
	"time"
)

// ExecuteWait runs fn on e's goroutine as e.Execute does, but waits while
// e's queue is full (ErrInboxFull) instead of failing, retrying after 50 µs
// and backing off to 10 ms. It gives up when e refuses for another reason
// (ErrClosed: fn will never run) or when ctx ends (ctx's error). For what a
// goroutine other than the shard's must not lose: state that nothing else
// frees, a message a handler sent. Never from e's own goroutine (only it
// drains the queue), nor from another shard's goroutine (two shards
// waiting on each other's queues deadlock), nor holding a lock e's
// goroutine may take.
func ExecuteWait(ctx context.Context, e Executor, fn func()) error {
	wait := 50 * time.Microsecond
	var timer *time.Timer
	for {
		err := e.Execute(fn)
		if !errors.Is(err, ErrInboxFull) {
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

// PostWait is Post that waits for room (ExecuteWait).
func (s *Shard) PostWait(ctx context.Context, fn func()) error { return ExecuteWait(ctx, s.exec, fn) }
