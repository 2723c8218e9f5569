package engine

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"time"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/codec/http1"
	"github.com/densemcp/densemcp/router"
	"github.com/panjf2000/gnet/v2"
)

// Scale-out (package cluster implements Cluster). A legacy session lives on
// one node, named in its id ("<node>.<hex>"); a request for it that reaches
// another node is forwarded to that node, which answers through a remote
// connection whose bytes travel back (forward.go). When the node is gone the
// session's durable state, kept by the cluster, is adopted by a live node.
// Without a cluster none of this runs: toSession pays one nil check.

// Cluster is what the engine asks of the other nodes. Its methods are called
// on event loops and must not block.
type Cluster interface {
	// NodeID names this node; the legacy sessions it creates are named
	// "<NodeID>.<32 hex digits>".
	NodeID() string
	// Forward answers f, a request for a legacy session this node does not
	// hold, through the node that holds it or by adopting it here (then it
	// calls f.RunLocal). It answers through f's methods, from any goroutine.
	Forward(f *Forward)
	// Abandon tells the node answering f that the client went away.
	Abandon(f *Forward)
	// SaveSession records a session's durable state (router.Session's
	// AppendState); the latest call wins.
	SaveSession(sid string, state []byte)
	// DropSession forgets a session that ended (DELETE, idle expiry).
	DropSession(sid string)
	// StateRefresh is how often a live session's state is saved again, so a
	// store that expires records keeps the sessions still in use (0: never).
	StateRefresh() time.Duration
	// Handover gives the sessions of a node that is stopping to the other
	// nodes, and returns when they adopted them or ctx ended. It may block
	// (it runs on the stopping goroutine).
	Handover(ctx context.Context, sessions []SessionState) error
}

// SessionState is a legacy session's durable state, for Handover.
type SessionState struct {
	ID    string
	State []byte
}

// ErrNoSession reports that Adopt found no such node-side loop or state.
var ErrNoSession = errors.New("engine: session state cannot be adopted")

// SetCluster makes the server one node of cluster c. Call it before Serve.
func (s *Server) SetCluster(c Cluster) { s.cluster = c }

// sessionNode returns the node named in a cluster session id ("" for a
// single-node id, which has no dot).
func sessionNode(sid []byte) []byte {
	if i := bytes.IndexByte(sid, '.'); i > 0 {
		return sid[:i]
	}
	return nil
}

// holds reports whether session sid may be held by this node: it was
// created here (its id names this node) or adopted here. Any loop.
func (s *Server) holds(sid []byte) bool {
	if string(sessionNode(sid)) == s.cluster.NodeID() {
		return true
	}
	_, ok := s.adopted.Load(string(sid))
	return ok
}

// missing answers a request for a session that its owner loop does not
// hold. Single node: 404. In a cluster a client connection's request goes to
// the cluster (the session may live on, or be adoptable from, another node),
// a forwarded one tells the asking node so. Loop of hc.
func (st *httpState) missing(hc *httpConn, sid []byte, m *codec.Message, op sessionOp) {
	c := st.srv.cluster
	if c == nil || op.noForward {
		hc.writeJSONError(404, msgID(m), codec.CodeInvalidRequest, "session not found", nil)
		return
	}
	if rc, ok := hc.c.(*remoteConn); ok {
		hc.busy = false
		hc.target = target{}
		rc.ended = true
		hc.closing = true
		rc.out.Miss()
		return
	}
	st.forward(hc, sid, m, op)
}

// missingAway is missing for a session looked up on loop owner, which is not
// hc's: a single node answers 404 from there, a cluster node goes back to
// hc's loop to forward. Loop owner.
func (st *httpState) missingAway(hc *httpConn, owner *loop, sid string, m *codec.Message, op sessionOp) {
	if st.srv.cluster == nil || op.noForward {
		ex := newExchange(hc, owner, false)
		ex.writeError(404, msgID(m), codec.CodeInvalidRequest, "session not found")
		return
	}
	if hc.l.shard.Post(func() { st.forward(hc, []byte(sid), m, op) }) != nil {
		newExchange(hc, owner, false).writeError(503, msgID(m), codec.CodeServerBusy, "server stopping")
	}
}

// Forward is one request sent to another node for a session held there
// (asking side). The cluster answers it through Write, Done, Fail or
// RunLocal, from its own goroutines; bytes reach the client connection
// through AsyncWrite, whose tasks run on the connection's loop in order.
type Forward struct {
	// SID is the session id; Node the node its id names.
	SID  string
	Node string
	// Req is the request encoded for the owner (ServeForwarded reads it).
	Req []byte
	// Token is the cluster's name for this forward (it routes the answer).
	Token uint64

	st   *httpState
	hc   *httpConn
	id   []byte // JSON-RPC id of a POSTed request, for errors
	kind uint8  // opPost, opStream, opDelete
	cors string // the request's allowed Origin: its answer gets the CORS fields here (cors.go)

	mu      sync.Mutex
	started bool // response bytes were written to the client
	sse     bool // and they began an SSE stream
	ended   bool
}

// Idempotent reports whether the request may run again elsewhere after its
// node was lost before answering (GET stream, DELETE): nothing it did can
// have been seen.
func (f *Forward) Idempotent() bool { return f.kind == opStream || f.kind == opDelete }

// Modern reports a modern request forwarded to the node its task id names
// (SID is then the task id): it has no session to adopt, and when that
// node is gone so is the task.
func (f *Forward) Modern() bool { return f.kind == opModern }

// Started reports whether any response bytes reached the client.
func (f *Forward) Started() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.started
}

// forwardTask forwards a modern tasks/get, tasks/update or tasks/cancel
// whose taskId names another node to that node, which holds the task (a
// task's handler, its context and its result live where it was created;
// the node answers as if the client had asked it), and reports whether it
// did. Loop of hc.
func (st *httpState) forwardTask(hc *httpConn, m *codec.Message, sse bool) bool {
	switch string(m.Method) {
	case "tasks/get", "tasks/update", "tasks/cancel":
	default:
		return false
	}
	v, ok := codec.ObjectField(m.Params, "taskId")
	if !ok || !codec.IsString(v) {
		return false // the router answers the error
	}
	id, err := codec.Unquote(nil, v)
	if err != nil {
		return false
	}
	node := router.TaskNode(id)
	if node == nil || string(node) == st.srv.cluster.NodeID() {
		return false
	}
	st.forward(hc, id, m, sessionOp{kind: opModern, sse: sse, closeConn: hc.closeAfter, principal: hc.principal})
	return true
}

// forward sends a request for session sid to the cluster. Loop of hc.
func (st *httpState) forward(hc *httpConn, sid []byte, m *codec.Message, op sessionOp) {
	f := &Forward{SID: string(sid), Node: string(sessionNode(sid)), st: st, hc: hc, kind: op.kind, cors: hc.cors}
	if m != nil {
		f.id = bytes.Clone(m.ID)
	}
	f.Req = appendForwardRequest(nil, sid, m, op)
	hc.busy = true
	hc.target = target{}
	hc.fwd = f
	st.srv.cluster.Forward(f)
}

// Write sends response bytes from the owner to the client. b must not be
// changed afterwards (it is written later, on the connection's loop).
func (f *Forward) Write(b []byte) {
	f.mu.Lock()
	if f.ended {
		f.mu.Unlock()
		return
	}
	if !f.started {
		f.started = true
		f.sse = bytes.Contains(headOf(b), []byte("text/event-stream"))
		b = spliceCORS(b, f.cors) // the owner node does not see the Origin
	}
	f.mu.Unlock()
	hc := f.hc
	_ = hc.c.AsyncWrite(b, func(_ gnet.Conn, err error) error {
		if err == nil {
			hc.afterWrite(false, false)
		}
		return nil
	})
}

// headOf returns the head of an HTTP response's first bytes.
func headOf(b []byte) []byte {
	if i := bytes.Index(b, []byte("\r\n\r\n")); i >= 0 {
		return b[:i]
	}
	return b
}

// Done ends the exchange: the connection may read its next request, or
// closes when closeConn.
func (f *Forward) Done(closeConn bool) {
	f.mu.Lock()
	if f.ended {
		f.mu.Unlock()
		return
	}
	f.ended = true
	f.mu.Unlock()
	f.end(nil, closeConn)
}

// Finish writes the last response bytes and ends the exchange in one
// write on the connection's loop (one wake-up instead of Write's and
// Done's two): the common end of a forwarded call, whose whole JSON answer
// travels with the end. last must not be changed afterwards.
func (f *Forward) Finish(last []byte, closeConn bool) {
	f.mu.Lock()
	if f.ended {
		f.mu.Unlock()
		return
	}
	f.ended = true
	if !f.started && len(last) > 0 {
		f.started = true
		f.sse = bytes.Contains(headOf(last), []byte("text/event-stream"))
		last = spliceCORS(last, f.cors) // as Write: the owner does not see the Origin
	}
	f.mu.Unlock()
	f.end(last, closeConn)
}

// end writes b (may be nil) and finishes the exchange on the connection's
// loop.
func (f *Forward) end(b []byte, closeConn bool) {
	hc := f.hc
	_ = hc.c.AsyncWrite(b, func(_ gnet.Conn, err error) error {
		if hc.fwd == f {
			hc.fwd = nil
		}
		if err != nil {
			return nil
		}
		if closeConn {
			hc.closeAfter = true
		}
		hc.afterWrite(false, true)
		return nil
	})
}

// Fail ends the exchange with an explicit error: status and a JSON-RPC
// error before any byte was sent; an error event on an SSE stream already
// open (a notifications/message warning on a GET stream, whose events in
// flight are lost); nothing more after a complete JSON answer.
func (f *Forward) Fail(status int, code int, msg string) {
	f.mu.Lock()
	if f.ended {
		f.mu.Unlock()
		return
	}
	f.ended = true
	started, sse := f.started, f.sse
	f.mu.Unlock()
	switch {
	case !started:
		var b []byte
		if (f.kind == opPost || f.kind == opModern) && f.id != nil {
			// A request gets its JSON-RPC error: the call failed, the
			// session goes on.
			body := codec.AppendError(nil, f.id, code, msg, nil)
			b = http1.AppendResponse(nil, 200, "application/json", body, false, withCORS(f.cors)...)
		} else {
			body := codec.AppendError(nil, nil, code, msg, nil)
			b = http1.AppendResponse(nil, status, "application/json", body, false, withCORS(f.cors, [2]string{"Retry-After", "1"})...)
		}
		f.end(b, false)
	case sse:
		var ev []byte
		if (f.kind == opPost || f.kind == opModern) && f.id != nil {
			ev = codec.AppendError(nil, f.id, code, msg, nil)
		} else {
			ev = codec.AppendNotification(nil, "notifications/message",
				append(codec.AppendString([]byte(`{"level":"warning","logger":"densemcp","data":`), msg+"; events sent meanwhile may be lost, open the stream again"), '}'))
		}
		b := http1.AppendSSEEvent(nil, nil, "message", ev)
		b = http1.AppendLastChunk(b)
		f.end(b, true)
	default:
		f.end(nil, true)
	}
}

// NotFound answers 404: no node holds the session, nor its state (a
// forwarded task: the JSON-RPC error of an unknown task).
func (f *Forward) NotFound() {
	f.mu.Lock()
	if f.ended || f.started {
		f.mu.Unlock()
		return
	}
	f.ended = true
	f.mu.Unlock()
	if f.kind == opModern {
		// The node that ran the task is gone, and the task with it: the
		// answer a node gives for a task it does not know.
		body := codec.AppendError(nil, f.id, codec.CodeInvalidParams, "Failed to retrieve task: Task not found (the cluster node that ran it is gone)", nil)
		f.end(http1.AppendResponse(nil, 200, "application/json", body, false), false)
		return
	}
	body := codec.AppendError(nil, f.id, codec.CodeInvalidRequest, "session not found", nil)
	f.end(http1.AppendResponse(nil, 404, "application/json", body, false, withCORS(f.cors)...), false)
}

// RunLocal runs the request on this node: the cluster adopted the session
// here. It must not be forwarded again.
func (f *Forward) RunLocal() {
	f.mu.Lock()
	if f.ended || f.started {
		f.mu.Unlock()
		return
	}
	f.ended = true
	f.mu.Unlock()
	hc, st := f.hc, f.st
	err := hc.l.shard.Post(func() {
		if hc.fwd != f || hc.closing {
			return
		}
		hc.fwd = nil
		sid, m, op, err := decodeForwardRequest(f.Req)
		if err != nil {
			panic("BUG: cannot decode our own forward request: " + err.Error())
		}
		op.noForward = true
		st.toSession(hc, sid, m, op)
	})
	if err != nil {
		f.ended = false
		f.Fail(503, codec.CodeServerBusy, "server stopping")
	}
}

// Adopt makes session sid, whose node is gone, live on this node from its
// durable state, then calls done (nil: adopted) on the session's loop.
// Safe from any goroutine.
func (s *Server) Adopt(sid string, state []byte, done func(error)) {
	l := s.ownerOf([]byte(sid))
	if l == nil || s.http == nil {
		done(ErrNoSession)
		return
	}
	err := l.shard.Post(func() {
		if hs := l.sessions[sid]; hs != nil {
			done(nil) // adopted already (two requests raced here)
			return
		}
		hs := allocHTTPSession() // written on every message, as a new session is
		*hs = httpSession{st: s.http, l: l, id: sid, lastActive: time.Now().UnixNano()}
		sess, err := s.r.RestoreSession(l.shard, hs, state)
		if err != nil {
			done(err)
			return
		}
		hs.sess = sess
		hs.owner = ownerOfState(state)
		hs.savedAt = hs.lastActive
		l.sessions[sid] = hs
		s.http.sessions.Add(1)
		s.adopted.Store(sid, struct{}{})
		done(nil)
	})
	if err != nil {
		done(err)
	}
}

// EndSession ends session sid here without forgetting its durable state:
// another node has taken it over. Any goroutine.
func (s *Server) EndSession(sid string) {
	l := s.ownerOf([]byte(sid))
	if l == nil {
		return
	}
	_ = l.shard.Post(func() {
		if hs := l.sessions[sid]; hs != nil {
			hs.handedOver = true
			hs.end()
		}
	})
}

// StateChanged implements router.StateWatcher: in a cluster the session's
// durable state is saved for the node that adopts it if this one is lost.
// Session's loop.
func (hs *httpSession) StateChanged(_ *router.Session) {
	c := hs.st.srv.cluster
	if c == nil || hs.ended {
		return
	}
	hs.savedAt = time.Now().UnixNano()
	c.SaveSession(hs.id, hs.state())
}

// state is the session's durable state: the router's, and the user it is
// bound to when authorization is on (as "owner": subject and issuer).
func (hs *httpSession) state() []byte {
	b := hs.sess.AppendState(nil)
	if hs.owner == nil {
		return b
	}
	b = append(b[:len(b)-1], `,"owner":{"sub":`...)
	b = codec.AppendString(b, hs.owner.Subject)
	b = append(b, `,"iss":`...)
	b = codec.AppendString(b, hs.owner.Issuer)
	return append(b, "}}"...)
}

// ownerOfState reads the user a session's state binds it to (nil: none).
func ownerOfState(state []byte) *router.Principal {
	o, ok := codec.ObjectField(state, "owner")
	if !ok {
		return nil
	}
	sub, _ := codec.ObjectField(o, "sub")
	iss, _ := codec.ObjectField(o, "iss")
	s, err1 := codec.Unquote(nil, sub)
	i, err2 := codec.Unquote(nil, iss)
	if err1 != nil || err2 != nil {
		return nil
	}
	return &router.Principal{Subject: string(s), Issuer: string(i)}
}

// refreshState saves a live session's state again when the cluster's store
// would otherwise expire it. Session's loop (the tick).
func (hs *httpSession) refreshState(now int64, every time.Duration) {
	if every <= 0 || !hs.sess.Durable() || now-hs.savedAt < int64(every) {
		return
	}
	hs.savedAt = now
	hs.st.srv.cluster.SaveSession(hs.id, hs.state())
}

// handOver ends every legacy session of this node and gives their durable
// state to the cluster, which has the other nodes adopt them. Stop calls it
// once running handlers have finished; requests that arrive for those
// sessions meanwhile find them gone here and follow them (missing).
func (s *Server) handOver(ctx context.Context) error {
	if s.cluster == nil || s.http == nil {
		return nil
	}
	var mu sync.Mutex
	var all []SessionState
	var wg sync.WaitGroup
	for i := range s.slots {
		l := s.slots[i].Load()
		if l == nil {
			continue
		}
		wg.Add(1)
		if l.shard.Post(func() {
			defer wg.Done()
			var mine []SessionState
			for id, hs := range l.sessions {
				if hs.sess.Durable() {
					mine = append(mine, SessionState{ID: id, State: hs.state()})
				}
				hs.handedOver = true
				hs.end()
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		}) != nil {
			wg.Done()
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	s.log.Info("handing sessions over to the cluster", "sessions", len(all))
	return s.cluster.Handover(ctx, all)
}
