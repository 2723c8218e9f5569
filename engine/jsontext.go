package engine

import (
	"bytes"

	"github.com/densemcp/densemcp/codec"
)

// stringText returns the text of the JSON string token tok of a decoded
// message (the decoder validated it): its contents when it has no
// backslash, without a copy, else unescaped into *scratch (kept for reuse).
// The modern era's header checks read two string members per call; most
// have no escapes, and Unquote's copy cost more than the comparison they
// feed.
func stringText(tok []byte, scratch *[]byte) ([]byte, error) {
	if len(tok) >= 2 && tok[0] == '"' && tok[len(tok)-1] == '"' && bytes.IndexByte(tok, '\\') < 0 {
		return tok[1 : len(tok)-1], nil
	}
	body, err := codec.Unquote((*scratch)[:0], tok)
	*scratch = body[:0]
	return body, err
}
