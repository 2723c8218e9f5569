package engine

import (
	"context"
	"sync/atomic"

	"github.com/densemcp/densemcp/shards"
	"github.com/panjf2000/gnet/v2"
)

// loopExec runs shard tasks on a gnet loop once the loop is known.
type loopExec struct {
	el atomic.Pointer[gnet.EventLoop]
}

func (x *loopExec) bind(el gnet.EventLoop) { x.el.Store(&el) }

// Execute posts fn to the loop. Before the first connection binds the loop
// the shard has no sessions, so there is nothing fn could reach.
func (x *loopExec) Execute(fn func()) error {
	el := x.el.Load()
	if el == nil {
		return shards.ErrClosed
	}
	return (*el).Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
		fn()
		return nil
	}))
}
