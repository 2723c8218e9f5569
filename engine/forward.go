package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net"
	"time"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/router"
	"github.com/panjf2000/gnet/v2"
)

// The owning side of a forwarded request: it runs on the session's loop
// like a request from a client connection, through an httpConn whose
// gnet.Conn is a remoteConn. Its writes go to the asking node (RemoteOutput)
// instead of a socket; the rest of the HTTP path does not know the
// difference.

// RemoteOutput carries the answer to a forwarded request back to the node
// that asked. Its methods run on the session's loop and must not block.
type RemoteOutput interface {
	// Write sends response bytes, in order; b is reused after it returns.
	// false: they cannot be delivered (the connection is then closed).
	Write(b []byte) bool
	// Done ends the exchange, after the response bytes last (a whole
	// response held back so it travels with the end; may be nil; reused
	// after it returns); closeConn: the client connection closes.
	Done(closeConn bool, last []byte)
	// Miss says this node does not hold the session.
	Miss()
}

// Remote is a forwarded request being answered on this node.
type Remote struct {
	hc  *httpConn
	srv *Server
}

// errBadForward reports a forwarded request that does not decode.
var errBadForward = errors.New("engine: malformed forwarded request")

// ServeForwarded answers a request forwarded by another node (Forward.Req)
// through out. Any goroutine.
func (s *Server) ServeForwarded(req []byte, out RemoteOutput) (*Remote, error) {
	if s.http == nil {
		return nil, errBadForward
	}
	sid, m, op, err := decodeForwardRequest(req)
	if err != nil {
		return nil, err
	}
	l := s.ownerOf(sid)
	if l == nil {
		out.Miss()
		return nil, nil
	}
	rc := &remoteConn{out: out, srv: s}
	hc := &httpConn{c: rc, l: l, principal: op.principal}
	rc.hc = hc
	r := &Remote{hc: hc, srv: s}
	op.noForward = false
	err = l.shard.Post(func() {
		hc.closeAfter = op.closeConn
		if op.kind == opModern {
			s.http.runModern(hc, m, op.sse)
			return
		}
		s.http.toSession(hc, sid, m, op)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Abandon stops answering: the client went away. Any goroutine.
func (r *Remote) Abandon() {
	hc := r.hc
	_ = hc.l.shard.Post(func() {
		if !hc.closing {
			r.srv.closeHTTP(hc)
		}
	})
}

// remoteConn stands in for a client's socket on the node that holds the
// session. Loop goroutine only; the methods the HTTP path never calls on
// it answer errUnsupported.
type remoteConn struct {
	out    RemoteOutput
	srv    *Server
	hc     *httpConn
	ended  bool // Done sent
	broken bool // a Write could not be delivered
	// pending holds a whole (non-SSE) response until finish, so it goes
	// back with the end of the exchange in one message instead of two: a
	// JSON answer is always written and finished in the same loop task.
	pending []byte
}

var errUnsupported = errors.New("engine: not supported on a forwarded request")

// done ends the exchange (httpConn.finish). Loop.
func (rc *remoteConn) done(closeConn bool) {
	if rc.ended {
		return
	}
	rc.ended = true
	rc.out.Done(closeConn, rc.pending)
	rc.pending = nil
	rc.hc.closing = true
	rc.srv.closeHTTP(rc.hc)
}

// sseHead marks a response head that starts an SSE stream.
var sseHead = []byte("text/event-stream")

func (rc *remoteConn) Write(b []byte) (int, error) {
	if rc.ended || rc.broken {
		return 0, net.ErrClosed
	}
	if rc.pending != nil || (bytes.HasPrefix(b, []byte("HTTP/1.1 ")) && !bytes.Contains(headOf(b), sseHead)) {
		rc.pending = append(rc.pending, b...)
		return len(b), nil
	}
	if !rc.out.Write(b) {
		rc.broken = true
		return 0, net.ErrClosed
	}
	return len(b), nil
}

func (rc *remoteConn) AsyncWrite(b []byte, cb gnet.AsyncCallback) error {
	own := append([]byte(nil), b...)
	return rc.hc.l.shard.Post(func() {
		_, err := rc.Write(own)
		if cb != nil {
			_ = cb(rc, err)
		}
	})
}

func (rc *remoteConn) Close() error {
	if !rc.ended {
		rc.ended = true
		rc.out.Done(true, rc.pending)
		rc.pending = nil
	}
	if !rc.hc.closing {
		rc.hc.closing = true
		rc.srv.closeHTTP(rc.hc)
	}
	return nil
}

// OutboundBuffered reports a broken remote as a slow consumer, so the
// writer closes it.
func (rc *remoteConn) OutboundBuffered() int {
	if rc.broken {
		return 1 << 62
	}
	return 0
}

func (rc *remoteConn) Wake(gnet.AsyncCallback) error        { return nil }
func (rc *remoteConn) InboundBuffered() int                 { return 0 }
func (rc *remoteConn) Read([]byte) (int, error)             { return 0, errUnsupported }
func (rc *remoteConn) WriteTo(io.Writer) (int64, error)     { return 0, errUnsupported }
func (rc *remoteConn) Next(int) ([]byte, error)             { return nil, errUnsupported }
func (rc *remoteConn) Peek(int) ([]byte, error)             { return nil, nil }
func (rc *remoteConn) Discard(int) (int, error)             { return 0, nil }
func (rc *remoteConn) ReadFrom(io.Reader) (int64, error)    { return 0, errUnsupported }
func (rc *remoteConn) SendTo([]byte, net.Addr) (int, error) { return 0, errUnsupported }
func (rc *remoteConn) Writev(bs [][]byte) (int, error) {
	n := 0
	for _, b := range bs {
		w, err := rc.Write(b)
		n += w
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
func (rc *remoteConn) Flush() error { return nil }
func (rc *remoteConn) AsyncWritev(bs [][]byte, cb gnet.AsyncCallback) error {
	var all []byte
	for _, b := range bs {
		all = append(all, b...)
	}
	return rc.AsyncWrite(all, cb)
}
func (rc *remoteConn) Fd() int                                { return -1 }
func (rc *remoteConn) Dup() (int, error)                      { return -1, errUnsupported }
func (rc *remoteConn) SetReadBuffer(int) error                { return errUnsupported }
func (rc *remoteConn) SetWriteBuffer(int) error               { return errUnsupported }
func (rc *remoteConn) SetLinger(int) error                    { return errUnsupported }
func (rc *remoteConn) SetKeepAlivePeriod(time.Duration) error { return errUnsupported }
func (rc *remoteConn) SetKeepAlive(bool, time.Duration, time.Duration, int) error {
	return errUnsupported
}
func (rc *remoteConn) Context() any              { return rc.hc }
func (rc *remoteConn) EventLoop() gnet.EventLoop { return nil }
func (rc *remoteConn) SetContext(any)            {}
func (rc *remoteConn) LocalAddr() net.Addr       { return remoteAddr{} }
func (rc *remoteConn) RemoteAddr() net.Addr      { return remoteAddr{} }
func (rc *remoteConn) CloseWithCallback(cb gnet.AsyncCallback) error {
	err := rc.Close()
	if cb != nil {
		_ = cb(rc, err)
	}
	return err
}
func (rc *remoteConn) SetDeadline(time.Time) error      { return errUnsupported }
func (rc *remoteConn) SetReadDeadline(time.Time) error  { return errUnsupported }
func (rc *remoteConn) SetWriteDeadline(time.Time) error { return errUnsupported }

var _ gnet.Conn = (*remoteConn)(nil)

// remoteAddr is the address of a forwarded request's connection.
type remoteAddr struct{}

func (remoteAddr) Network() string { return "cluster" }
func (remoteAddr) String() string  { return "forwarded" }

// The forwarded request on the wire between nodes: 'R', op kind, flags,
// message kind, then sid, id, method, params, result, error, Last-Event-ID
// and the principal (JSON, when authorization is on), each a uvarint
// length and its bytes. The asking node has
// already checked the HTTP request and decoded its JSON, so the owner does
// not parse JSON again.
const (
	fwdSSE = 1 << iota
	fwdClose
	fwdMsg
)

func appendForwardRequest(dst, sid []byte, m *codec.Message, op sessionOp) []byte {
	var flags byte
	if op.sse {
		flags |= fwdSSE
	}
	if op.closeConn {
		flags |= fwdClose
	}
	var kind byte
	if m != nil {
		flags |= fwdMsg
		kind = byte(m.Kind)
	}
	dst = append(dst, 'R', op.kind, flags, kind)
	dst = appendField(dst, sid)
	if m != nil {
		dst = appendField(dst, m.ID)
		dst = appendField(dst, m.Method)
		dst = appendField(dst, m.Params)
		dst = appendField(dst, m.Result)
		dst = appendField(dst, m.Error)
	} else {
		for range 5 {
			dst = appendField(dst, nil)
		}
	}
	dst = appendField(dst, op.lastEvent)
	var p []byte
	if op.principal != nil {
		// The asking node verified the token; the owner checks the session
		// is this user's and the router checks scopes, as on one node.
		p, _ = json.Marshal(op.principal)
	}
	return appendField(dst, p)
}

func appendField(dst, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

func decodeForwardRequest(b []byte) (sid []byte, m *codec.Message, op sessionOp, err error) {
	if len(b) < 4 || b[0] != 'R' || b[1] > opModern {
		return nil, nil, op, errBadForward
	}
	op.kind = b[1]
	flags := b[2]
	op.sse = flags&fwdSSE != 0
	op.closeConn = flags&fwdClose != 0
	kind := codec.Kind(b[3])
	rest := b[4:]
	var f [8][]byte
	for i := range f {
		n, k := binary.Uvarint(rest)
		if k <= 0 || uint64(len(rest)-k) < n {
			return nil, nil, op, errBadForward
		}
		if n > 0 {
			f[i] = rest[k : k+int(n)]
		}
		rest = rest[k+int(n):]
	}
	if len(f[0]) == 0 || (op.kind == opModern && flags&fwdMsg == 0) {
		return nil, nil, op, errBadForward
	}
	sid = f[0]
	if flags&fwdMsg != 0 {
		m = &codec.Message{Kind: kind, ID: f[1], Method: f[2], Params: f[3], Result: f[4], Error: f[5]}
	}
	op.lastEvent = f[6]
	if len(f[7]) > 0 {
		op.principal = new(router.Principal)
		if json.Unmarshal(f[7], op.principal) != nil {
			return nil, nil, op, errBadForward
		}
	}
	return sid, m, op, nil
}

// bindMarker is the context of the connections BindLoops enrolls.
type bindMarker struct{}

// BindLoops ties every event loop to its shard now rather than at its first
// client connection, by enrolling throwaway loopback connections until each
// loop holds one (gnet gives a registered connection to its least-loaded
// loop), then closing them. A cluster node needs it: a forwarded request or
// an adopted session may belong to a loop no client has reached yet. Call
// it after the server started.
func (s *Server) BindLoops(ctx context.Context) error {
	s.mu.Lock()
	eng, booted := s.eng, s.booted
	s.mu.Unlock()
	if !booted {
		return errors.New("engine: server not started")
	}
	// gnet boots before it registers its loops; the first tick, which
	// marks the server started, comes after.
	select {
	case <-s.started:
	case <-ctx.Done():
		return ctx.Err()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	var peers []net.Conn
	defer func() {
		for _, p := range peers {
			p.Close()
		}
	}()
	for range 4 * s.cfg.Loops {
		if s.allBound() {
			return nil
		}
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			return err
		}
		peer, err := ln.Accept()
		if err != nil {
			c.Close()
			return err
		}
		peers = append(peers, peer)
		ch, err := eng.Register(gnet.NewNetConnContext(gnet.NewContext(ctx, bindMarker{}), c))
		if err != nil {
			return err
		}
		if res := <-ch; res.Err != nil {
			return res.Err
		}
	}
	if !s.allBound() {
		return errors.New("engine: an event loop could not be bound")
	}
	return nil
}

func (s *Server) allBound() bool {
	for i := range s.slots {
		if s.slots[i].Load() == nil {
			return false
		}
	}
	return true
}

func (rc *remoteConn) SetNoDelay(bool) error { return errUnsupported }
