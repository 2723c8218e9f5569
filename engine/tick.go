package engine

import (
	"time"

	"github.com/densemcp/densemcp/codec/http1"
)

// tickLoop expires idle legacy sessions and sends heartbeats on idle SSE
// streams of loop l. Loop goroutine, from loop.sweep.
func (st *httpState) tickLoop(l *loop, now int64) {
	init := st.srv.cfg.Timeouts.Init
	var refresh time.Duration
	if c := st.srv.cluster; c != nil {
		refresh = c.StateRefresh()
	}
	for _, hs := range l.sessions {
		// A session whose handshake never completes is ended after
		// Timeouts.Init, so half-open sessions cannot fill MaxSessions.
		if hs.idle(now, st.cfg.SessionIdleTTL) || (!hs.sess.Initialized() && expired(init, hs.created, now)) {
			hs.end()
		} else if refresh > 0 {
			hs.refreshState(now, refresh)
		}
	}
	hb := int64(st.cfg.Heartbeat)
	for hc := range l.sse {
		if hc.closing {
			delete(l.sse, hc)
			continue
		}
		if now-hc.lastWrite >= hb {
			b := http1.AppendSSEComment(l.wbuf[:0], "ping")
			_, _ = hc.c.Write(b)
			l.wrote(len(b))
			hc.lastWrite = now
		}
	}
}
