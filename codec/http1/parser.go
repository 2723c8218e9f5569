package http1

import (
	"bytes"

	"github.com/densemcp/densemcp/codec/partial"
)

// Parser frames HTTP/1.1 requests. It holds only configuration, so one
// Parser may serve every connection of an event loop; the progress of a
// request still arriving lives in its Request.
type Parser struct {
	Limits Limits
	// Budget, if not nil, counts the memory of bodies left incomplete
	// between reads; a body that would pass it fails with ErrBusy.
	Budget *partial.Budget
}

// Parse frames one request at the start of buf into req.
//
//   - n > 0, err == nil: a complete request (header block and body) is in req;
//     the engine consumes n bytes. The next request starts at buf[n:].
//   - n == 0, err == nil: more bytes are needed. Call Parse again with the
//     same bytes plus what arrived (gnet keeps them in its inbound buffer).
//     If req.HeaderComplete(), only body bytes are missing and
//     req.ExpectContinue() says whether to send AppendContinue (once).
//   - err != nil: an *Error; the engine answers its Status and closes.
//
// Between "need more" answers req remembers how far it got, so each byte is
// examined about once however thinly the request trickles in. Hence the
// contract: until Parse returns n > 0 or an error, buf must start with the
// same bytes every time (otherwise call req.Reset first) — except that,
// once the header is complete, the caller may drop the bytes req.Detach
// names; buf then starts right after them. Body bytes are copied into req
// as they arrive. The Parse after a complete request or an error starts a
// new request and resets req.
func (p *Parser) Parse(buf []byte, req *Request) (n int, err error) {
	if req.stage == stageDone {
		req.Reset()
	} else if req.base+len(buf) < req.seen {
		panic("BUG: http1: Parse got fewer bytes than before while a request was incomplete; call Request.Reset when dropping them")
	}
	req.budget = p.Budget
	if req.stage == stageHead {
		end := 0
		if req.lineStart == 0 && req.scanned == 0 {
			end = req.wholeHead(buf, p.Limits.maxHeaderBytes(), p.Limits.maxBodyBytes())
		}
		if end == 0 {
			if end, err = req.scanHead(buf, p.Limits.maxHeaderBytes()); err != nil {
				return req.fail(err)
			}
			if end == 0 {
				return req.needMore(buf)
			}
			if err := req.parseFields(buf[:end], p.Limits.maxBodyBytes()); err != nil {
				return req.fail(err)
			}
		}
		req.headLen = end
		req.wire = end
		req.stage = stageBody
	}
	n, err = req.frameBody(buf, p.Limits.maxBodyBytes())
	if err != nil {
		return req.fail(err)
	}
	if n == 0 {
		return req.needMore(buf)
	}
	req.stage = stageDone
	return n, nil
}

// wholeHead parses a head that arrived whole with the first bytes of a
// request, the common case, in one pass over its lines (scanHead searches
// for the end of every line, then parseFields walks them again). It returns
// the head's length, or 0 when the head is not all there or anything is
// wrong with it; req is then as before and scanHead and parseFields decide,
// so every refusal is the one they give. A head that passes here passes
// there identically: every line is checked to end in CRLF (a field value
// stops at its first control byte, which must be the CR of a CRLF), so the
// blank line found is the first, within the same limit.
func (r *Request) wholeHead(buf []byte, maxHead, maxBody int) int {
	h := buf[:min(len(buf), maxHead)]
	lf := bytes.IndexByte(h, '\n')
	if lf > 0 && h[lf-1] == '\r' && r.wholeMethod(h[:lf]) {
		r.head = append(r.head[:0], h[:lf+1]...)
		if r.parseRequestLine(lf-1) == nil {
			if end, err := r.fieldLines(h, lf+1, maxBody); end > 0 && err == nil {
				r.head = append(r.head, h[lf+1:end]...)
				return end
			}
		}
	}
	budget := r.budget
	r.Reset()
	r.budget = budget
	return 0
}

// wholeMethod is checkMethod on a whole request line, reporting whether it
// starts with a valid method and its SP. "POST " (every MCP call) is one
// compare instead of a table load per byte.
func (r *Request) wholeMethod(line []byte) bool {
	if len(line) > len("POST ") && string(line[:len("POST ")]) == "POST " {
		r.methodDone = true
		return true
	}
	return r.checkMethod(line) == nil && r.methodDone
}

func (r *Request) needMore(buf []byte) (int, error) {
	r.seen = r.base + len(buf)
	if r.stage == stageBody && !r.store.Hold(r.budget) {
		return r.fail(ErrBusy)
	}
	return 0, nil
}

func (r *Request) fail(err error) (int, error) {
	r.stage = stageDone
	return 0, err
}

// frameBody takes the body bytes that arrived and returns the length of the
// request's bytes in buf once the body is complete. Offsets in r are from
// the start of the request; buf starts at r.base.
func (r *Request) frameBody(buf []byte, maxBody int) (int, error) {
	switch r.framing {
	case framingNone:
		return r.headLen - r.base, nil
	case framingLength:
		// Each body byte is copied once, as it arrives, so the caller
		// can drop it (Detach) and a stalled body is held only here.
		end := r.headLen + r.contentLength
		if have := min(r.base+len(buf), end); have > r.wire {
			r.store.Append(buf[r.wire-r.base : have-r.base])
			r.wire = have
		}
		if r.wire < end {
			return 0, nil
		}
		return end - r.base, nil
	case framingChunked:
		return r.frameChunked(buf, maxBody)
	}
	panic("BUG: http1: unknown body framing")
}
