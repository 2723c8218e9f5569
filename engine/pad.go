package engine

import "unsafe"

// Objects a loop writes on every message — its loop state, its
// connections, sessions and exchanges — are allocated rounded up to whole
// cache lines. Go's size classes that are multiples of 64 place objects
// 64-byte aligned, so two such objects never share a line; unpadded, an
// 80-byte conn of one loop and one of another loop can sit in the same
// line (objects of one size class are packed in a span, and a loop's
// goroutine may allocate from any P's span), and each loop's writes would
// then invalidate the other's copy: false sharing that grows with the
// number of loops. The padding costs a few dozen bytes per connection.
//
// The wrappers below keep the padding out of the types themselves, so
// their fields can change freely; the object (padding first, then the type)
// starts on a line and ends on one. Objects above 512 bytes (a loop's state)
// need none: they carry an 8-byte allocation header, and every size class
// above 512 bytes is a multiple of 64, so their slots never share a line.
// TestHotObjectsShareNoLine checks all of them.

// cacheLine is the coherence unit of x86-64 and most arm64 cores.
const cacheLine = 64

// padding returns the bytes that round size up to whole cache lines.
const (
	connPad        = (cacheLine - unsafe.Sizeof(conn{})%cacheLine) % cacheLine
	httpConnPad    = (cacheLine - unsafe.Sizeof(httpConn{})%cacheLine) % cacheLine
	httpSessionPad = (cacheLine - unsafe.Sizeof(httpSession{})%cacheLine) % cacheLine
	exchangePad    = (cacheLine - unsafe.Sizeof(exchange{})%cacheLine) % cacheLine
)

type paddedConn struct {
	_ [connPad]byte // first: a zero-size last field would add a word
	conn
}

type paddedHTTPConn struct {
	_ [httpConnPad]byte // first: a zero-size last field would add a word
	httpConn
}

type paddedHTTPSession struct {
	_ [httpSessionPad]byte // first: a zero-size last field would add a word
	httpSession
}

type paddedExchange struct {
	_ [exchangePad]byte // first: a zero-size last field would add a word
	exchange
}

// allocConn returns a new zero conn on whole cache lines; so do the others.
func allocConn() *conn               { return &new(paddedConn).conn }
func allocHTTPConn() *httpConn       { return &new(paddedHTTPConn).httpConn }
func allocHTTPSession() *httpSession { return &new(paddedHTTPSession).httpSession }
func allocExchange() *exchange       { return &new(paddedExchange).exchange }
