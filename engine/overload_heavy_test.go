package engine

import (
	"testing"

	"github.com/panjf2000/gnet/v2"
)

// heavyFakeConn is the part of a gnet.Conn that lingering touches.
type heavyFakeConn struct {
	gnet.Conn
	ctx any
}

func (f *heavyFakeConn) Discard(int) (int, error) { return 0, nil }
func (f *heavyFakeConn) SetContext(c any)         { f.ctx = c }
func (f *heavyFakeConn) Context() any             { return f.ctx }
func (f *heavyFakeConn) OutboundBuffered() int    { return heavyOutbound } // no shutdown yet

// A connection noted as heavy (a large unsent queue) that goes on to linger
// must leave the loop's heavy set: OnClose later sees only the lingering
// record, so the entry (and the connection, its session and buffers it
// holds) stayed until the overload manager reached its last stage, which
// it may never do.
func TestLingerForgetsHeavyConnection(t *testing.T) {
	for _, tc := range []struct {
		name string
		mk   func(l *loop, c gnet.Conn) interface {
			watched
			heavyConn
		}
	}{
		{"ndjson", func(l *loop, c gnet.Conn) interface {
			watched
			heavyConn
		} {
			return &conn{c: c, l: l}
		}},
		{"http", func(l *loop, c gnet.Conn) interface {
			watched
			heavyConn
		} {
			return &httpConn{c: c, l: l}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := &loop{srv: &Server{}}
			fc := &heavyFakeConn{}
			x := tc.mk(l, fc)
			fc.ctx = x
			l.watch(x)
			l.noteOutbound(x, heavyOutbound)
			if len(l.heavy) != 1 {
				t.Fatalf("heavy set holds %d connections after noteOutbound, want 1", len(l.heavy))
			}
			l.linger(fc, x)
			if len(l.heavy) != 0 {
				t.Fatalf("heavy set still holds the connection after it began lingering")
			}
		})
	}
}
