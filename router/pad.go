package router

import "unsafe"

// A session is written on every request by its loop; it is allocated
// rounded up to whole cache lines (Go places objects of a size class that is
// a multiple of 64 on 64-byte boundaries), so that objects of two loops never share a line and one loop's writes do
// not invalidate another's copy (false sharing, which grows with the number
// of loops). The wrapper keeps the padding out of the type. A shard's state
// (over 512 bytes) needs none: such objects carry an 8-byte allocation
// header and every size class above 512 bytes is a multiple of 64, so their
// slots never share a line. TestHotObjectsShareNoLine checks both.
const cacheLine = 64

const sessionPad = (cacheLine - unsafe.Sizeof(Session{})%cacheLine) % cacheLine

type paddedSession struct {
	_ [sessionPad]byte // first: a zero-size last field would add a word
	Session
}

func allocSession() *Session { return &new(paddedSession).Session }
