package http1

// Default limits. MCP requests are JSON-RPC messages: a few hundred bytes of
// headers and rarely more than a few KiB of body.
const (
	// DefaultMaxHeaderBytes bounds the header block (request line, fields and
	// the blank line). 8 KiB is what nginx and most proxies allow by default;
	// a larger block is answered with 431.
	DefaultMaxHeaderBytes = 8 << 10
	// DefaultMaxBodyBytes bounds the decoded body. 4 MiB leaves room for
	// large tool arguments (embedded resources, images) while one connection
	// cannot make the server hold more; a larger body is answered with 413.
	DefaultMaxBodyBytes = 4 << 20
)

// Fixed limits. They are far above what any HTTP client sends and keep the
// memory a hostile peer can pin per connection small.
const (
	// MaxHeaderFields bounds the number of header fields (431 above it), so the
	// field index kept in a Request stays small. Apache's LimitRequestFields
	// default is the same.
	MaxHeaderFields = 100
	// MaxChunkLineBytes bounds one chunk-size line including extensions and
	// CRLF. It stays below net/http's 4096-byte line limit so that we never
	// accept a line net/http refuses.
	MaxChunkLineBytes = 1 << 10
	// MaxChunkExtensionBytes bounds the chunk extensions of one body in
	// total. Extensions are tolerated and discarded; the bound keeps a body
	// of one-byte chunks with long extensions from costing more than it
	// carries (net/http refuses above about 16 KiB of such overhead).
	MaxChunkExtensionBytes = 4 << 10
	// MaxTrailerBytes bounds the trailer section after the last chunk,
	// including its final CRLF. Trailers are checked and discarded.
	MaxTrailerBytes = 1 << 10
	// maxHeaderBytesCap caps Limits.MaxHeaderBytes (net/http's default
	// limit); field offsets are int32.
	maxHeaderBytesCap = 1 << 20
)

// Limits are the configurable limits of a Parser. A zero field means its
// default.
type Limits struct {
	// MaxHeaderBytes bounds the header block; default DefaultMaxHeaderBytes,
	// at most 1 MiB.
	MaxHeaderBytes int
	// MaxBodyBytes bounds the decoded body; default DefaultMaxBodyBytes.
	MaxBodyBytes int
}

func (l Limits) maxHeaderBytes() int {
	if l.MaxHeaderBytes <= 0 {
		return DefaultMaxHeaderBytes
	}
	return min(l.MaxHeaderBytes, maxHeaderBytesCap)
}

func (l Limits) maxBodyBytes() int {
	if l.MaxBodyBytes <= 0 {
		return DefaultMaxBodyBytes
	}
	return l.MaxBodyBytes
}
