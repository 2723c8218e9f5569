package router

import (
	"encoding/base64"

	"github.com/densemcp/densemcp/codec"
)

// Cursors are opaque to clients: base64url of a version tag and the name of
// the last item of the previous page. Naming the item instead of an offset
// keeps pages consistent while items are added or removed.
const cursorTag = "n1:"

// maxCursorBytes bounds a cursor a client may send back.
const maxCursorBytes = 512

func appendCursor(dst []byte, lastName string) []byte {
	var raw [maxCursorBytes]byte
	n := copy(raw[:], cursorTag)
	n += copy(raw[n:], lastName)
	return base64.RawURLEncoding.AppendEncode(dst, raw[:n])
}

// cursor returns the name a request's cursor points after: nil for the
// first page, ok=false for a cursor we did not issue.
func (q *request) cursor() (after []byte, ok bool) {
	tok, present := codec.ObjectField(q.params, "cursor")
	if !present || codec.IsNull(tok) {
		return nil, true
	}
	if !codec.IsString(tok) || len(tok) > maxCursorBytes {
		return nil, false
	}
	var sb [maxCursorBytes]byte
	str, err := codec.Unquote(sb[:0], tok)
	if err != nil {
		return nil, false
	}
	dec := q.s.cursorScratch[:0]
	dec, err = base64.RawURLEncoding.AppendDecode(dec, str)
	if err != nil || len(dec) < len(cursorTag) || string(dec[:len(cursorTag)]) != cursorTag {
		return nil, false
	}
	q.s.cursorScratch = dec
	return dec[len(cursorTag):], true
}

// appendNextCursor appends the nextCursor member for a page ending at name.
func appendNextCursor(dst []byte, lastName string) []byte {
	dst = append(dst, `,"nextCursor":"`...)
	dst = appendCursor(dst, lastName)
	return append(dst, '"')
}
