package codec

import (
	"reflect"
	"sync"

	"github.com/bytedance/sonic"
	"github.com/bytedance/sonic/encoder"
)

// sonic does the reflective work: results into JSON, params into structs.
// Both run on bytes the strict scanner has already seen or on values the
// server built, so sonic's leniency (it accepts invalid UTF-8, duplicate
// keys and case-folded names) cannot reach routing decisions. On platforms without sonic's JIT (not amd64/arm64, or a
// Go release it does not know) sonic silently falls back to encoding/json,
// which escapes HTML; output stays valid JSON but is byte-different.

// encodeOptions: no HTML escaping (MCP is not HTML), no key sorting (costs,
// and the structs on the hot path have a fixed order anyway), invalid UTF-8
// corrected to \ufffd so a tool's bad bytes never break the stream, and no
// trailing newline from the fallback encoder (framing adds its own).
const encodeOptions = encoder.ValidateString | encoder.NoEncoderNewline

// AppendJSON appends the JSON encoding of v to dst with sonic. On error dst
// is returned unchanged.
//
// sonic's ValidateString pass checks (and on a failure rewrites) the whole
// buffer it is given, so the value is encoded into the free tail of dst: the
// caller's earlier bytes are neither rescanned nor touched. When dst has room,
// sonic writes in place and nothing is copied or allocated.
func AppendJSON(dst []byte, v any) ([]byte, error) {
	box := tailBoxes.Get().(*[]byte)
	*box = dst[len(dst):]
	err := encoder.EncodeInto(box, v, encodeOptions)
	tail := *box
	*box = nil
	tailBoxes.Put(box)
	if err != nil {
		return dst, err
	}
	if sameArrayAt(dst, tail) && len(tail) <= cap(dst)-len(dst) {
		return dst[:len(dst)+len(tail)], nil
	}
	return append(dst, tail...), nil
}

// tailBoxes holds the slice headers AppendJSON hands to sonic by pointer; a
// local would escape and cost an allocation per call.
var tailBoxes = sync.Pool{New: func() any { return new([]byte) }}

// unmarshalConfig is frozen once: exact-case field names (so "Name" never
// fills a field tagged "name"), control characters in strings rejected,
// unknown fields ignored (MCP adds fields across revisions).
var unmarshalConfig = sonic.Config{
	CaseSensitive:         true,
	ValidateString:        true,
	DisallowUnknownFields: false,
}.Froze()

// Unmarshal decodes the JSON data into v with sonic. It copies data first,
// so strings in v do not alias data and handlers may keep them after the
// request's buffer is reused (sonic #191). Call it on bytes that passed
// Valid (every Message slice did): sonic alone accepts duplicate keys and
// invalid UTF-8.
func Unmarshal(data []byte, v any) error {
	return unmarshalConfig.Unmarshal(data, v)
}

// Pretouch compiles sonic's encoder and decoder for the given types ahead of
// time. Call it at start-up with every params and result type: it removes
// the first request's JIT latency and keeps the first decodes of a type from
// racing inside sonic's JIT compiler (upstream has had crashes on concurrent
// first decodes of a type).
func Pretouch(types ...reflect.Type) error {
	return sonic.PretouchMany(types)
}
