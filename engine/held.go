package engine

import "github.com/valyala/bytebufferpool"

// Answers that reach an NDJSON connection outside its own traffic pass (a
// blocking handler's answer posted back from the worker pool, a
// notification, a refusal decided while another connection's pass runs)
// are held on the connection and written by one flush task per loop,
// queued behind the tasks already waiting. A loop busy with many
// completions then writes each connection once for all of its answers
// in that batch, instead of paying a write(2) per answer: under load the
// completions of a connection's pipelined calls pile up in the loop's
// task queue and leave together, so the cost per answer falls as the
// load rises. A lone answer waits only for the tasks queued ahead of it.
//
// Held bytes count against MaxOutboundBytes with the connection's
// unsent queue: past it the connection is closed as a slow consumer, as
// for a write.

// hold appends msg (and its line end) to cn's held answers and makes sure
// a flush task is queued. Loop goroutine only.
func (l *loop) hold(cn *conn, msg []byte) {
	if cn.held == nil {
		cn.held = bytebufferpool.Get()
		l.dirty = append(l.dirty, cn)
	}
	cn.held.B = append(cn.held.B, msg...)
	cn.held.B = append(cn.held.B, '\n')
	if len(cn.held.B)+cn.c.OutboundBuffered() > l.srv.cfg.MaxOutboundBytes {
		cn.closing = true
		return
	}
	if !l.flushQueued {
		l.flushQueued = true
		if l.shard.Post(l.flushHeldFn) != nil {
			l.flushHeld() // the loop is stopping: write now
		}
	}
}

// flushHeld writes every connection's held answers. Loop goroutine only.
func (l *loop) flushHeld() {
	l.flushQueued = false
	for i, cn := range l.dirty {
		l.dirty[i] = nil
		if cn.held == nil {
			continue // taken into a traffic pass's batch, or dropped at close
		}
		b := cn.held
		cn.held = nil
		if cn.closing || cn.gone {
			bytebufferpool.Put(b)
			continue
		}
		_, _ = cn.c.Write(b.B)
		l.wrote(len(b.B))
		bytebufferpool.Put(b)
		if n := cn.c.OutboundBuffered(); n > l.srv.cfg.MaxOutboundBytes {
			cn.closing = true
			l.closedBy(cn.c, CloseSlowConsumer)
			_ = cn.c.Close()
		} else {
			l.noteOutbound(cn, n)
		}
	}
	l.dirty = l.dirty[:0]
}

// takeHeld moves cn's held answers to the front of the loop's batch, at
// the start of cn's traffic pass, so they leave before the pass's own
// answers and in the order they were sent. Loop goroutine only.
func (l *loop) takeHeld(cn *conn) {
	if cn.held == nil {
		return
	}
	l.batch = append(l.batch, cn.held.B...)
	bytebufferpool.Put(cn.held)
	cn.held = nil
}

// dropHeld forgets cn's held answers (the connection closed). Loop
// goroutine only.
func (cn *conn) dropHeld() {
	if cn.held != nil {
		bytebufferpool.Put(cn.held)
		cn.held = nil
	}
}
