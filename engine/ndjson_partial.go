package engine

import (
	"bytes"

	"github.com/densemcp/densemcp/codec"
)

// NDJSON lines that span socket reads. gnet would keep the unconsumed tail
// of a read in its inbound ring, which grows to the next power of two and
// is copied again whenever it is peeked across its wrap; a line of n bytes
// arriving slowly cost several n. The engine instead takes the tail at
// once into a partial.Buffer (sized to what arrived, counted against the
// server's budget, see budget.go) and completes the line from the next
// reads, so gnet's inbound buffer stays empty between reads.

// handleLine decodes and routes one complete line. Loop goroutine, inside
// OnTraffic; line is valid for the call.
func (s *Server) handleLine(cn *conn, line []byte) {
	if len(line) == 0 {
		return
	}
	l := cn.l
	if s.refuseLine(l, cn.session, line) {
		return // refused before decoding (admit.go)
	}
	l.msg.Reset()
	if err := l.dec.Decode(line, &l.msg); err != nil {
		s.r.HandleDecodeError(cn.session, err)
		return
	}
	s.r.Handle(cn.session, &l.msg)
	if len(l.batch) >= batchFlushBytes {
		// Answers can be far larger than the requests that caused them;
		// write as we go so one read of pipelined requests cannot pile up
		// unbounded answers before the outbound limit is checked.
		s.flush(cn)
	}
}

// continueLine completes the line held in cn.part with the bytes at the
// start of buf, handles it and returns how many bytes of buf it took.
func (s *Server) continueLine(cn *conn, buf []byte) (int, CloseReason) {
	p := cn.part
	max := s.cfg.MaxLineBytes
	// holdLine keeps p.Len() <= max+1, so the window is not empty.
	i := bytes.IndexByte(buf[:min(len(buf), max+2-p.Len())], '\n')
	if i < 0 {
		return len(buf), s.holdLine(cn, buf)
	}
	p.Append(buf[:i])
	line := p.Bytes()
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if len(line) > max {
		return i + 1, s.lineTooLong(cn)
	}
	s.handleLine(cn, line)
	cn.dropPart() // after handleLine: line points into it
	return i + 1, ClosePeer
}

// holdLine keeps tail, the start (or more) of a line whose end has not
// arrived, and counts it against the budget.
func (s *Server) holdLine(cn *conn, tail []byte) CloseReason {
	if len(tail) == 0 {
		return ClosePeer
	}
	if cn.part == nil {
		cn.part = cn.l.getPart()
	}
	p := cn.part
	max := s.cfg.MaxLineBytes
	// As codec.NextLine: too long once it has max+1 bytes that cannot be
	// max bytes and the '\r' of a "\r\n" in flight.
	if total := p.Len() + len(tail); total > max+1 || (total == max+1 && tail[len(tail)-1] != '\r') {
		return s.lineTooLong(cn)
	}
	p.Append(tail)
	if !p.Hold(s.budget) {
		return s.refuseBusy(cn)
	}
	return ClosePeer
}

// lineTooLong answers a line that cannot be framed and marks cn closing
// (politely: the rest of the line may still be arriving): the connection
// cannot find where the next message starts.
func (s *Server) lineTooLong(cn *conn) CloseReason {
	l := cn.l
	l.batch = codec.AppendError(l.batch, nil, codec.CodeParseError, "message exceeds the maximum size", nil)
	l.batch = append(l.batch, '\n')
	cn.closing = true
	cn.dropPart()
	return CloseLineTooLong
}

// busyData is the data of a refusal for lack of memory budget.
var busyData = []byte(`{"retryAfterMs":1000}`)

// refuseBusy answers a line the budget has no room for, as the worker
// pool's refusal does, and marks cn closing.
func (s *Server) refuseBusy(cn *conn) CloseReason {
	l := cn.l
	l.batch = codec.AppendError(l.batch, nil, codec.CodeServerBusy, "server busy: too many messages arriving at once, retry later", busyData)
	l.batch = append(l.batch, '\n')
	cn.closing = true
	cn.dropPart()
	return CloseBudget
}

// dropPart gives cn's partial line back, and its budget count.
func (cn *conn) dropPart() {
	if cn.part != nil {
		cn.l.putPart(cn.part)
		cn.part = nil
	}
}
