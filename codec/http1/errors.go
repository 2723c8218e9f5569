package http1

// Error is a request the server refuses. The engine answers Status (with
// Reason as a short plain-text body if it likes) and closes the connection:
// after a framing error the position of the next request is unknown.
//
// Parse returns only the values below, so callers may compare with == and
// count close reasons without allocating. Do not modify them.
type Error struct {
	Status int
	Reason string
}

// Error returns the reason.
func (e *Error) Error() string { return e.Reason }

// 431 and 413: limits.
var (
	// ErrHeaderTooLarge: MaxHeaderBytes arrived without the end of the header block.
	ErrHeaderTooLarge = &Error{431, "http1: header block exceeds the limit"}
	// ErrTooManyFields: more than MaxHeaderFields header fields.
	ErrTooManyFields = &Error{431, "http1: too many header fields"}
	// ErrBodyTooLarge: Content-Length or the chunk sizes so far exceed
	// MaxBodyBytes. Reported before the body bytes arrive.
	ErrBodyTooLarge = &Error{413, "http1: body exceeds the limit"}
	// ErrBusy: the server-wide budget for bodies still arriving
	// (Parser.Budget) has no room for this one; the engine answers 503
	// with Retry-After.
	ErrBusy = &Error{503, "http1: too many requests arriving at once; retry later"}
)

// 400 and 505: the request line.
var (
	// ErrRequestLine: not "method SP request-target SP HTTP-version".
	ErrRequestLine = &Error{400, "http1: malformed request line"}
	// ErrMethod: the method is not a token.
	ErrMethod = &Error{400, "http1: invalid method"}
	// ErrTarget: the request-target is not origin-form, absolute-form with a
	// plain host, or "*" with OPTIONS, or it has bytes RFC 3986 forbids.
	ErrTarget = &Error{400, "http1: invalid request-target"}
	// ErrVersion: an HTTP version other than 1.0 or 1.1.
	ErrVersion = &Error{505, "http1: unsupported HTTP version"}
)

// 400: the header block.
var (
	// ErrBareLF: a line ends in LF without CR (RFC 9112 §2.2 allows
	// rejecting; accepting invites smuggling through lenient proxies).
	ErrBareLF = &Error{400, "http1: line not terminated by CRLF"}
	// ErrObsFold: a field line starts with whitespace (RFC 9112 §5.2).
	ErrObsFold = &Error{400, "http1: obsolete line folding"}
	// ErrFieldName: a field name is empty, lacks its colon, or has a
	// non-token byte.
	ErrFieldName = &Error{400, "http1: invalid header field name"}
	// ErrFieldNameWhitespace: a space in a field name, including before the
	// colon (RFC 9112 §5.1 requires 400).
	ErrFieldNameWhitespace = &Error{400, "http1: whitespace in header field name"}
	// ErrFieldValue: a control byte (CR, NUL, ...) in a field value.
	ErrFieldValue = &Error{400, "http1: invalid header field value"}
	// ErrMissingHost: an HTTP/1.1 request without Host (RFC 9112 §3.2).
	ErrMissingHost = &Error{400, "http1: missing Host"}
	// ErrDuplicateHost: more than one Host field.
	ErrDuplicateHost = &Error{400, "http1: repeated Host"}
	// ErrInvalidHost: Host is not host[:port] with a DNS name, IPv4 or
	// bracketed IPv6 address.
	ErrInvalidHost = &Error{400, "http1: invalid Host"}
	// ErrTrailerDeclaration: the Trailer field names Content-Length,
	// Transfer-Encoding or Trailer.
	ErrTrailerDeclaration = &Error{400, "http1: Trailer names a framing field"}
)

// 400 and 501: body framing.
var (
	// ErrContentLength: Content-Length is not a plain decimal number.
	ErrContentLength = &Error{400, "http1: invalid Content-Length"}
	// ErrDuplicateContentLength: Content-Length appears more than once, even
	// with equal values.
	ErrDuplicateContentLength = &Error{400, "http1: repeated Content-Length"}
	// ErrLengthAndChunked: both Content-Length and Transfer-Encoding; the
	// classic smuggling vector, refused rather than resolved.
	ErrLengthAndChunked = &Error{400, "http1: both Content-Length and Transfer-Encoding"}
	// ErrTransferEncoding: Transfer-Encoding other than exactly one "chunked".
	ErrTransferEncoding = &Error{501, "http1: unsupported Transfer-Encoding"}
	// ErrTransferEncodingHTTP10: Transfer-Encoding in an HTTP/1.0 request,
	// which net/http would ignore and a proxy might not.
	ErrTransferEncodingHTTP10 = &Error{400, "http1: Transfer-Encoding in HTTP/1.0"}
	// ErrChunkSize: a chunk-size line that is not HEXDIG{1,16} [";" ext] CRLF.
	ErrChunkSize = &Error{400, "http1: invalid chunk-size line"}
	// ErrChunkLineTooLong: a chunk-size line over MaxChunkLineBytes.
	ErrChunkLineTooLong = &Error{400, "http1: chunk-size line too long"}
	// ErrChunkExtensions: chunk extensions over MaxChunkExtensionBytes.
	ErrChunkExtensions = &Error{400, "http1: too many chunk extension bytes"}
	// ErrChunkData: chunk data not followed by CRLF.
	ErrChunkData = &Error{400, "http1: chunk data not followed by CRLF"}
	// ErrTrailerTooLarge: the trailer section exceeds MaxTrailerBytes.
	ErrTrailerTooLarge = &Error{400, "http1: trailer section too large"}
)
