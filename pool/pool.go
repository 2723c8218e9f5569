// Package pool runs handlers that may block (network calls, disk, waiting on
// a client's elicitation answer) off the event loops, on a bounded set of
// goroutines. It never queues without bound and never blocks its caller: a
// full pool refuses at once, and the router turns that into a "server busy"
// JSON-RPC error with a retry hint, so an event loop is never stalled.
package pool

import (
	"errors"
	"sync/atomic"
	"time"

	"github.com/panjf2000/ants/v2"
)

// DefaultWorkers bounds the goroutines that may run blocking handlers at
// once. A parked worker costs a few KB of stack, so 4096 of them are
// ~16-32 MB at worst; past that, refusing is kinder than swapping.
const DefaultWorkers = 4096

// DefaultRetryAfter is the retry hint sent with a "server busy" refusal.
const DefaultRetryAfter = 100 * time.Millisecond

// ErrBusy reports that every worker is busy; the task was not accepted.
var ErrBusy = errors.New("worker pool is full")

// Pool is a bounded, non-blocking goroutine pool. Safe for concurrent use.
type Pool struct {
	p    *ants.Pool
	busy atomic.Int64 // tasks accepted and not finished
	// RetryAfter is the hint given to refused clients.
	RetryAfter time.Duration
}

// New returns a pool of at most workers goroutines (DefaultWorkers if <= 0).
// Idle workers exit after a minute so a burst does not pin memory.
func New(workers int) *Pool {
	if workers <= 0 {
		workers = DefaultWorkers
	}
	// ants is the pool gnet itself ships; Nonblocking makes Submit fail fast
	// with ErrPoolOverload instead of parking the event loop.
	p, err := ants.NewPool(workers, ants.WithNonblocking(true), ants.WithExpiryDuration(time.Minute))
	if err != nil {
		panic("BUG: cannot create worker pool: " + err.Error())
	}
	return &Pool{p: p, RetryAfter: DefaultRetryAfter}
}

// Submit runs task on a worker, or returns ErrBusy at once when all workers
// are busy or the pool is closed.
func (p *Pool) Submit(task func()) error {
	p.busy.Add(1)
	err := p.p.Submit(func() {
		defer p.busy.Add(-1)
		task()
	})
	if err != nil {
		p.busy.Add(-1)
		return ErrBusy
	}
	return nil
}

// Running returns the number of tasks accepted and not yet finished.
// (ants' own Running counts live workers, idle ones included.)
func (p *Pool) Running() int { return int(p.busy.Load()) }

// Cap returns the maximum number of workers.
func (p *Pool) Cap() int { return p.p.Cap() }

// Close stops accepting tasks and waits up to timeout for running ones.
func (p *Pool) Close(timeout time.Duration) error {
	return p.p.ReleaseTimeout(timeout)
}
