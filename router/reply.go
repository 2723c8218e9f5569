package router

import "github.com/densemcp/densemcp/codec"

// replyResult answers id with a complete raw result. Shard goroutine only.
func (s *Session) replyResult(id, result []byte) {
	if c := s.capture; c != nil {
		c.captureResult(id, result)
		return
	}
	buf := codec.AppendResponse(s.shard.Scratch[:0], id, result)
	s.out.Send(MsgResponse, id, buf)
	s.shard.Scratch = buf[:0]
	if s.r.observing() {
		s.answered(0)
	}
}

// replyError answers id (nil → null) with a JSON-RPC error.
func (s *Session) replyError(id []byte, code int, msg string, data []byte) {
	if c := s.capture; c != nil {
		c.captureError(code, msg, data)
		return
	}
	buf := codec.AppendError(s.shard.Scratch[:0], id, code, msg, data)
	s.out.Send(MsgResponse, id, buf)
	s.shard.Scratch = buf[:0]
	if s.r.observing() {
		s.answered(code)
	}
}

// sendAnswer sends a complete answer (result or error) to id. Shard
// goroutine only.
func (s *Session) sendAnswer(id, msg []byte) {
	if c := s.capture; c != nil {
		c.captureAnswer(msg)
		return
	}
	s.out.Send(MsgResponse, id, msg)
	if s.r.observing() {
		s.answeredWith(msg)
	}
}

// replyMethodNotFound allocates the message; it is an error path.
func (s *Session) replyMethodNotFound(id, method []byte) {
	s.replyError(id, codec.CodeMethodNotFound, "Method not found: "+string(method), nil)
}

// beginResult starts a response to id in the shard scratch buffer; the
// caller appends the result value and hands the buffer to endResult.
func (s *Session) beginResult(id []byte) []byte {
	if c := s.capture; c != nil {
		// A hook is capturing the answer: render it into the Call's own
		// buffer, which nothing else on the shard writes.
		b := codec.AppendResultHead(c.buf[:0], id)
		c.hl = len(b)
		return b
	}
	return codec.AppendResultHead(s.shard.Scratch[:0], id)
}

// endResult closes the response to id begun by beginResult and sends it.
func (s *Session) endResult(id, buf []byte) {
	if c := s.capture; c != nil {
		c.buf, c.hasResult, c.err = buf, true, nil
		return
	}
	buf = codec.AppendResultTail(buf)
	s.out.Send(MsgResponse, id, buf)
	s.shard.Scratch = buf[:0]
	if s.r.observing() {
		s.answered(0)
	}
}

// appendEraFields closes a result object opened by the caller with the
// fields the era requires: modern results carry resultType and serverInfo;
// list and read results also carry ttlMs and cacheScope.
func (r *Router) appendEraFields(dst []byte, era Era, cacheable bool) []byte {
	if era != EraModern {
		return dst
	}
	dst = append(dst, `,"resultType":"complete"`...)
	if cacheable {
		dst = append(dst, `,"ttlMs":`...)
		dst = appendInt(dst, r.opts.ListTTLMs)
		dst = append(dst, `,"cacheScope":"public"`...)
	}
	dst = append(dst, `,"_meta":{"io.modelcontextprotocol/serverInfo":`...)
	dst = append(dst, r.infoJSON...)
	dst = append(dst, '}')
	return dst
}

func appendInt(dst []byte, n int) []byte {
	if n < 0 {
		dst = append(dst, '-')
		n = -n
	}
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return append(dst, b[i:]...)
}
