package http1

// Parser frames HTTP/1.1 requests. It holds only configuration, so one
// Parser may serve every connection of an event loop; the progress of a
// request still arriving lives in its Request.
type Parser struct {
	Limits Limits
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
// same bytes every time (otherwise call req.Reset first). The Parse after a
// complete request or an error starts a new request and resets req.
func (p *Parser) Parse(buf []byte, req *Request) (n int, err error) {
	if req.stage == stageDone {
		req.Reset()
	} else if len(buf) < req.seen {
		panic("BUG: http1: Parse got fewer bytes than before while a request was incomplete; call Request.Reset when dropping them")
	}
	if req.stage == stageHead {
		end, err := req.scanHead(buf, p.Limits.maxHeaderBytes())
		if err != nil {
			return req.fail(err)
		}
		if end == 0 {
			return req.needMore(buf)
		}
		if err := req.parseFields(buf[:end], p.Limits.maxBodyBytes()); err != nil {
			return req.fail(err)
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

func (r *Request) needMore(buf []byte) (int, error) {
	r.seen = len(buf)
	return 0, nil
}

func (r *Request) fail(err error) (int, error) {
	r.stage = stageDone
	return 0, err
}

// frameBody returns the length of the whole request once its body is in buf.
func (r *Request) frameBody(buf []byte, maxBody int) (int, error) {
	switch r.framing {
	case framingNone:
		return r.headLen, nil
	case framingLength:
		end := r.headLen + r.contentLength
		if len(buf) < end {
			return 0, nil
		}
		// One copy, when complete: the engine may discard gnet's buffer
		// right after Parse, and a body still arriving costs nothing.
		r.body = append(r.body[:0], buf[r.headLen:end]...)
		return end, nil
	case framingChunked:
		return r.frameChunked(buf, maxBody)
	}
	panic("BUG: http1: unknown body framing")
}
