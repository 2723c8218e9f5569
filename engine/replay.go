package engine

import (
	"bytes"
	"strconv"

	"github.com/densemcp/densemcp/codec/http1"
	"github.com/densemcp/densemcp/router"
)

// Replay (off unless HTTPConfig.ReplayEvents > 0): each SSE stream of a
// legacy session gets an id, its events carry "<stream>-<seq>" ids, and the
// last ReplayEvents events of each stream are kept. A client that lost a
// stream GETs with Last-Event-ID and receives what it missed on that stream
// only, then the stream's later messages. Streams start with a priming
// event (an id, a retry hint and no data, SEP-1699), so a client can
// resume even before the first message.

// maxReplayStreams bounds the replayable streams kept per session; the
// oldest is forgotten first.
const maxReplayStreams = 32

type replayEvent struct {
	seq uint64
	msg []byte
}

type replayStream struct {
	id      string
	related string // request id of a POST stream, "" for GET streams
	seq     uint64
	ring    []replayEvent
	final   bool      // the POST stream's answer is in the ring
	ex      *exchange // the connection carrying the stream now, if any
}

// record keeps msg as the stream's next event and returns its id.
func (rs *replayStream) record(msg []byte, limit int, final bool) []byte {
	rs.seq++
	if len(rs.ring) == limit {
		copy(rs.ring, rs.ring[1:])
		rs.ring = rs.ring[:limit-1]
	}
	rs.ring = append(rs.ring, replayEvent{seq: rs.seq, msg: bytes.Clone(msg)})
	rs.final = rs.final || final
	return rs.eventID(rs.seq)
}

func (rs *replayStream) eventID(seq uint64) []byte {
	b := append([]byte(rs.id), '-')
	return strconv.AppendUint(b, seq, 10)
}

// newReplay starts a replayable stream on the session.
func (hs *httpSession) newReplay(related string) *replayStream {
	if hs.replays == nil {
		hs.replays = make(map[string]*replayStream)
	}
	if len(hs.replayOrder) >= maxReplayStreams {
		old := hs.replays[hs.replayOrder[0]]
		delete(hs.replays, old.id)
		if old.related != "" && hs.replayByReq[old.related] == old {
			delete(hs.replayByReq, old.related)
		}
		hs.replayOrder = hs.replayOrder[1:]
	}
	hs.nextStream++
	rs := &replayStream{id: "s" + strconv.Itoa(hs.nextStream), related: related}
	hs.replays[rs.id] = rs
	hs.replayOrder = append(hs.replayOrder, rs.id)
	if related != "" {
		if hs.replayByReq == nil {
			hs.replayByReq = make(map[string]*replayStream)
		}
		hs.replayByReq[related] = rs
	}
	return rs
}

// replayed handles a message for request related whose POST connection is
// gone: it is kept for a resuming client, and sent if one is attached.
func (hs *httpSession) replayed(kind router.MsgKind, related, msg []byte) bool {
	rs := hs.replayByReq[string(related)]
	if rs == nil {
		return false
	}
	if rs.ex != nil && !rs.ex.gone {
		rs.ex.deliver(kind, msg)
		return true
	}
	rs.record(msg, hs.st.cfg.ReplayEvents, kind.Final())
	return true
}

// resume answers a GET carrying Last-Event-ID: the missed events of that
// stream, then its live messages. It reports false when the id names no
// stream we keep (the GET then opens a new stream).
func (hs *httpSession) resume(hc *httpConn, lastEventID []byte) bool {
	dash := bytes.LastIndexByte(lastEventID, '-')
	if dash < 0 || hs.replays == nil {
		return false
	}
	rs := hs.replays[string(lastEventID[:dash])]
	after, err := strconv.ParseUint(string(lastEventID[dash+1:]), 10, 64)
	if rs == nil || err != nil {
		return false
	}
	ex := newExchange(hc, hs.l, true)
	ex.hs = hs
	ex.started = true
	ex.rs = rs
	b := http1.AppendSSEHead(nil, withCORS(hc.cors, getStreamClose)...)
	for _, e := range rs.ring {
		if e.seq > after {
			b = http1.AppendSSEEvent(b, rs.eventID(e.seq), "message", e.msg)
		}
	}
	if rs.final {
		ex.done = true
		b = http1.AppendLastChunk(b)
		ex.writeTo(b, true)
		return true
	}
	ex.writeTo(b, false)
	rs.ex = ex
	if rs.related == "" {
		hs.streams = append(hs.streams, &sseStream{hs: hs, hc: hc, ex: ex})
	}
	return true
}
