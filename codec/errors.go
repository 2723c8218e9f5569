package codec

import "errors"

// JSON-RPC 2.0 and MCP error codes. The router and the transports answer with
// exactly these; tests compare against them.
const (
	// CodeParseError: the bytes are not one valid JSON text (also invalid
	// UTF-8, a NUL in a key, or a duplicate key). The response id is null.
	CodeParseError = -32700
	// CodeInvalidRequest: valid JSON that is not a JSON-RPC 2.0 request,
	// notification or response (wrong jsonrpc, null id, batch array, ...).
	CodeInvalidRequest = -32600
	// CodeMethodNotFound: no such method in the negotiated era.
	CodeMethodNotFound = -32601
	// CodeInvalidParams: params missing, of the wrong shape, or naming
	// something that does not exist (unknown tool, invalid cursor, ...).
	CodeInvalidParams = -32602
	// CodeInternalError: a handler failed or panicked.
	CodeInternalError = -32603
	// CodeServerBusy: the request was refused before it ran (overload,
	// a client over its share, shutdown); data carries retryAfterMs and a
	// reason. Implementation-defined server error range.
	CodeServerBusy = -32000
	// CodeRequestTimeout: something did not happen in time: a message or
	// a session handshake did not arrive (the connection is closed), or a
	// blocking handler did not finish within the handler timeout (the
	// client is answered at the deadline). The TypeScript SDK's
	// RequestTimeout code.
	CodeRequestTimeout = -32001
	// CodeUnauthorized: authorization is on and the request carries no valid
	// credential: a stdio or TCP NDJSON session that has not presented the
	// static token in _meta (over HTTP the answer is 401 before any JSON-RPC).
	CodeUnauthorized = -32004
	// CodeInsufficientScope: the request's token lacks a scope the method,
	// tool, resource or prompt requires; data is {"scope":"<what the
	// operation needs, space-separated>"}. Over HTTP the answer is 403 with
	// WWW-Authenticate: Bearer error="insufficient_scope".
	CodeInsufficientScope = -32003
	// CodeForbidden: the server's policy refuses the request — what a
	// middleware or handler answers when it refuses on its own grounds
	// (authorization's refusals are CodeUnauthorized and
	// CodeInsufficientScope). Not -32003 or -32004: the official Go SDK's
	// client reads those two codes as its own connection-closing errors
	// and reports "connection closed" instead of the refusal.
	CodeForbidden = -32010
	// CodeResourceNotFound: legacy-era resources/read of an unknown URI.
	CodeResourceNotFound = -32002
	// CodeHeaderMismatch: modern era, HTTP Mcp-* headers disagree with the body.
	CodeHeaderMismatch = -32020
	// CodeMissingClientCapability: modern era, the request needs a client
	// capability the request's _meta did not declare.
	CodeMissingClientCapability = -32021
	// CodeUnsupportedProtocolVersion: modern era, the request's _meta names a
	// protocol version this server does not speak; data lists the supported ones.
	CodeUnsupportedProtocolVersion = -32022
	// CodeURLElicitationRequired: a tool needs a URL-mode elicitation first.
	CodeURLElicitationRequired = -32042
)

// Sentinel errors callers branch on.
var (
	// ErrLineTooLong: an NDJSON line exceeds the configured maximum. The
	// connection answers a parse error and is closed.
	ErrLineTooLong = errors.New("line exceeds the maximum message size")
)

// Sentinel errors of the codec's field access.
var (
	// ErrInvalidString: Unquote was given something that is not one valid
	// JSON string token (quotes, escapes, UTF-8, control characters).
	ErrInvalidString = errors.New("invalid JSON string")
)
