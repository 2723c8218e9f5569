package http1

import "github.com/densemcp/densemcp/codec/partial"

// span is a [off, end) range of Request.head. Offsets keep the field index
// valid when head grows and make a Request cheap to reset.
type span struct{ off, end int32 }

type field struct{ name, value span }

type stage uint8

const (
	stageHead stage = iota // looking for the end of the header block
	stageBody              // header block parsed, body incomplete
	stageDone              // a request or an error was returned; the next Parse starts afresh
)

type framing uint8

const (
	framingNone    framing = iota // no body
	framingLength                 // Content-Length
	framingChunked                // Transfer-Encoding: chunked
)

type chunkPhase uint8

const (
	chunkSizeLine chunkPhase = iota
	chunkData
	chunkDataEnd // the CRLF after chunk data
	chunkTrailer
)

// Request is one HTTP/1.1 request framed by Parser.Parse, and the progress of
// a request still arriving. Use one per connection and reuse it; every slice
// it returns points into memory the Request owns and stays valid until Reset
// or the next Parse after a complete request. Not safe for concurrent use.
type Request struct {
	head   []byte         // copy of the header block
	store  partial.Buffer // de-chunked body, held as it arrives
	fields []field
	budget *partial.Budget // the Parser's, for a body left incomplete
	// Everything else holds no pointer, so Reset clears it with a few
	// stores instead of copying a whole Request (one of the larger costs
	// of a pipelined call once the parse itself was cheap).
	requestState
}

// requestState is the part of a Request that Reset zeroes.
type requestState struct {
	// known[h] is 1 + the index in fields of the first field called h (0:
	// none), set while the fields are parsed, so Known and Header find the
	// fields the server reads on every request without scanning them all.
	known [numKnown]uint8

	method, target, path, query span
	authority                   span // host of an absolute-form target
	hasAuthority                bool
	minor                       uint8 // 0 or 1 (HTTP/1.minor)
	keepAlive                   bool
	expectContinue              bool

	// Progress of a request still arriving; see Parser.Parse.
	stage         stage
	base          int  // bytes at the start of the request the caller dropped (Detach)
	seen          int  // base+len(buf) at the last "need more" answer
	lineStart     int  // stageHead: start of the first line not yet terminated
	scanned       int  // stageHead: bytes before this hold no LF after lineStart
	methodDone    bool // stageHead: the method has been checked up to its SP
	headLen       int  // set once the header block is parsed
	framing       framing
	contentLength int
	wire          int // stageBody: offset of the next body byte not yet taken
	phase         chunkPhase
	chunkLeft     uint64
	extBytes      int
	trailerStart  int
}

// Reset forgets the request and gives back what its body counted against
// the Parser's Budget. Buffers are kept for reuse, except body memory past
// a small first segment.
func (r *Request) Reset() {
	r.store.Reset(r.budget)
	r.head = r.head[:0]
	r.fields = r.fields[:0]
	r.budget = nil
	r.requestState = requestState{}
}

// Release is Reset that also returns the body's memory to its pool: for a
// Request that will sit unused.
func (r *Request) Release() {
	r.store.Release(r.budget)
	r.Reset()
}

func (r *Request) bytes(s span) []byte { return r.head[s.off:s.end:s.end] }

// Method is the request method, case-sensitive as sent.
func (r *Request) Method() []byte { return r.bytes(r.method) }

// Target is the request-target as sent.
func (r *Request) Target() []byte { return r.bytes(r.target) }

// Path is the path of the request-target without the query, still
// percent-encoded; "*" for "OPTIONS *"; possibly empty for an absolute-form
// target without a path.
func (r *Request) Path() []byte { return r.bytes(r.path) }

// Query is the query of the request-target without the "?", or empty.
func (r *Request) Query() []byte { return r.bytes(r.query) }

// Host is the authority the request is for: the host of an absolute-form
// target if there is one (RFC 9112 §3.2.2), else the Host field, else nil.
func (r *Request) Host() []byte {
	if r.hasAuthority {
		return r.bytes(r.authority)
	}
	return r.Known(FieldHost)
}

// ProtoMinor is 1 for HTTP/1.1 and 0 for HTTP/1.0.
func (r *Request) ProtoMinor() int { return int(r.minor) }

// KnownField names one of the fields the server reads on every request.
// The parser indexes them as it parses, so Request.Known finds one with
// two loads, where Header(name) would first have to match the name.
type KnownField uint8

// The fields indexed while parsing (see Request.Known).
const (
	FieldHost KnownField = iota
	FieldContentType
	FieldAccept
	FieldOrigin
	FieldAuthorization
	FieldLastEventID
	FieldMcpSessionID
	FieldMcpProtocolVersion
	FieldMcpMethod
	FieldMcpName
	numKnown
)

// knownField returns the index of a field name as the server spells it, or
// -1 for any other name (Header then scans the fields).
func knownField(name string) int {
	switch name {
	case "Host":
		return int(FieldHost)
	case "Content-Type":
		return int(FieldContentType)
	case "Accept":
		return int(FieldAccept)
	case "Origin":
		return int(FieldOrigin)
	case "Authorization":
		return int(FieldAuthorization)
	case "Last-Event-ID":
		return int(FieldLastEventID)
	case "Mcp-Session-Id":
		return int(FieldMcpSessionID)
	case "MCP-Protocol-Version":
		return int(FieldMcpProtocolVersion)
	case "Mcp-Method":
		return int(FieldMcpMethod)
	case "Mcp-Name":
		return int(FieldMcpName)
	}
	return -1
}

// Known returns the value of the first field h names, as Header does for
// its name, or nil if absent: the hot path's lookup, without matching a
// name.
func (r *Request) Known(h KnownField) []byte {
	if i := r.known[h]; i > 0 {
		return r.bytes(r.fields[i-1].value)
	}
	return nil
}

// Header returns the value of the first field called name (ASCII
// case-insensitive), without surrounding whitespace, or nil if absent. The
// fields the server reads on every request are found through an index built
// while parsing (Known, without the name match); other names are looked
// for field by field.
func (r *Request) Header(name string) []byte {
	if h := knownField(name); h >= 0 {
		return r.Known(KnownField(h))
	}
	for _, f := range r.fields {
		if equalFold(r.bytes(f.name), name) {
			return r.bytes(f.value)
		}
	}
	return nil
}

// HeaderValues calls fn with the value of every field called name, in order,
// until fn returns false.
func (r *Request) HeaderValues(name string, fn func(v []byte) bool) {
	for _, f := range r.fields {
		if equalFold(r.bytes(f.name), name) && !fn(r.bytes(f.value)) {
			return
		}
	}
}

// VisitHeaders calls fn with every field in order until fn returns false.
func (r *Request) VisitHeaders(fn func(name, value []byte) bool) {
	for _, f := range r.fields {
		if !fn(r.bytes(f.name), r.bytes(f.value)) {
			return
		}
	}
}

// Body is the body, de-chunked. A body of more than partial.SegmentSize
// bytes is made contiguous on the first call.
func (r *Request) Body() []byte { return r.store.Bytes() }

// BodyReceived is how many bytes of the body (as sent, chunk framing
// included) have arrived so far.
func (r *Request) BodyReceived() int {
	if r.headLen == 0 {
		return 0
	}
	return max(r.seen, r.wire) - r.headLen
}

// BodyHeld is the memory the body being received holds, in bytes.
func (r *Request) BodyHeld() int { return r.store.Cap() }

// Detach tells the Request that the caller drops the bytes of the request
// it has taken so far, and returns how many: the head and the body bytes
// already copied into the Request. The next Parse gets buf starting after
// them. Only while the body is arriving (HeaderComplete, Parse said "need
// more"); otherwise it returns 0. This is how the engine keeps a body that
// arrives over many reads in the Request alone, sized to what arrived,
// instead of in its connection's inbound buffer as well.
func (r *Request) Detach() int {
	if r.stage != stageBody {
		return 0
	}
	d := r.wire - r.base
	r.base = r.wire
	return d
}

// KeepAlive reports whether the connection may carry another request:
// HTTP/1.1 unless Connection has "close"; HTTP/1.0 only with "keep-alive"
// and without "close".
func (r *Request) KeepAlive() bool { return r.keepAlive }

// ExpectContinue reports an HTTP/1.1 "Expect: 100-continue". RFC 9110
// §10.1.1 says to ignore it in HTTP/1.0.
func (r *Request) ExpectContinue() bool { return r.expectContinue }

// HeaderComplete reports whether the header block has been parsed. After
// Parse answered "need more", true means the body is still arriving; the
// engine then sends AppendContinue once if ExpectContinue.
func (r *Request) HeaderComplete() bool { return r.headLen > 0 }
