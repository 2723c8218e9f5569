package router

import (
	"context"

	"github.com/densemcp/densemcp/codec"
	"github.com/valyala/bytebufferpool"
)

// runPooled runs a tool that may block on the worker pool. The request's
// bytes are copied (the loop's buffer is reused when we return); the answer
// is rendered on the worker into a pooled buffer and posted back to the
// session's shard, which drops it if the request was cancelled or the
// session closed meanwhile.
func (r *Router) runPooled(q *request, e *toolEntry, args []byte) {
	s := q.s
	if _, dup := s.inflight[string(q.id)]; dup {
		s.replyError(q.id, codec.CodeInvalidRequest, "request id is already in use by a running request", nil)
		return
	}
	own := bytebufferpool.Get()
	own.B = append(own.B[:0], q.id...)
	idEnd := len(own.B)
	own.B = append(own.B, q.params...)
	paramsEnd := len(own.B)
	own.B = append(own.B, args...)
	id := own.B[:idEnd:idEnd]
	params := own.B[idEnd:paramsEnd:paramsEnd]
	ownArgs := own.B[paramsEnd:]

	ctx, cancel := context.WithCancel(context.Background())
	c := &call{cancel: cancel}
	key := string(id)
	req := &Request{}
	rq := request{s: s, id: id, params: params}
	req.begin(&rq, ctx)
	era := s.era

	task := func() {
		r.invoke(req, e, ownArgs)
		out := bytebufferpool.Get()
		buf := codec.AppendResultHead(out.B[:0], id)
		buf, err := r.appendToolResultEra(buf, era, e, &req.Result)
		if err != nil {
			buf = codec.AppendError(out.B[:0], id, codec.CodeInternalError, err.Error(), nil)
		} else {
			buf = codec.AppendResultTail(buf)
		}
		out.B = buf
		err = s.shard.Post(func() {
			if !c.cancelled && !s.closed {
				s.out.Reply(out.B)
			}
			if s.inflight[key] == c {
				delete(s.inflight, key)
			}
			cancel()
			bytebufferpool.Put(out)
			bytebufferpool.Put(own)
		})
		if err != nil {
			// The shard is gone (server stopping): nobody is left to answer.
			cancel()
			bytebufferpool.Put(out)
		}
	}
	if s.inflight == nil {
		s.inflight = make(map[string]*call)
	}
	s.inflight[key] = c
	if err := r.pool.Submit(task); err != nil {
		delete(s.inflight, key)
		cancel()
		bytebufferpool.Put(own)
		r.replyBusy(q)
	}
}

// appendToolResultEra is appendToolResult for use off the loop, where the
// session must not be read: the era is captured when the call starts.
func (r *Router) appendToolResultEra(buf []byte, era Era, e *toolEntry, res *ToolResult) ([]byte, error) {
	s := Session{era: era}
	return r.appendToolResult(buf, &s, e, res)
}

// replyBusy refuses a request because the worker pool is full.
func (r *Router) replyBusy(q *request) {
	data := make([]byte, 0, 32)
	data = append(data, `{"retryAfterMs":`...)
	data = appendInt(data, int(r.pool.RetryAfter.Milliseconds()))
	data = append(data, '}')
	q.s.replyError(q.id, codec.CodeServerBusy, "server busy: too many requests running, retry later", data)
}

// cancelRequest handles notifications/cancelled: the handler's context is
// cancelled and its late answer is not sent. Unknown ids are ignored.
func (r *Router) cancelRequest(s *Session, params []byte) {
	id, ok := codec.ObjectField(params, "requestId")
	if !ok {
		return
	}
	c := s.inflight[string(id)]
	if c == nil {
		return
	}
	c.cancelled = true
	c.cancel()
	delete(s.inflight, string(id))
}
