package engine

import (
	"time"

	"github.com/densemcp/densemcp/codec/http1"
)

// tick posts the periodic HTTP work to every bound loop.
func (st *httpState) tick() {
	for i := range st.srv.slots {
		l := st.srv.slots[i].Load()
		if l == nil {
			continue
		}
		_ = l.shard.Post(func() { st.tickLoop(l) })
	}
}

// tickLoop expires idle legacy sessions and sends heartbeats on idle SSE
// streams of loop l. Loop goroutine.
func (st *httpState) tickLoop(l *loop) {
	now := time.Now().UnixNano()
	for _, hs := range l.sessions {
		if hs.idle(now, st.cfg.SessionIdleTTL) {
			hs.end()
		}
	}
	hb := int64(st.cfg.Heartbeat)
	for hc := range l.sse {
		if hc.closing {
			delete(l.sse, hc)
			continue
		}
		if now-hc.lastWrite >= hb {
			_, _ = hc.c.Write(http1.AppendSSEComment(l.wbuf[:0], "ping"))
			hc.lastWrite = now
		}
	}
}
