package densemcp

import (
	"encoding/json"

	"github.com/densemcp/densemcp/router"
)

// RPCError is an error with the JSON-RPC code, message and data the client
// gets: return it from a handler or a middleware to choose them (other
// errors become -32603 with their text, or a tool result with isError).
type RPCError struct {
	Code    int
	Message string
	Data    json.RawMessage
}

func (e *RPCError) Error() string { return e.Message }

// JSONRPCError returns the error as the client gets it.
func (e *RPCError) JSONRPCError() (code int, message string, data []byte) {
	return e.Code, e.Message, e.Data
}

// CapabilityError reports that the client did not declare a capability a
// call needs. Request.Elicit, Sample and ListRoots return it; returned from
// a handler it becomes -32021 in the modern era (with the capability in
// data.requiredCapabilities) and an invalid-request error in the legacy
// era.
type CapabilityError struct {
	Capability string
}

func (e *CapabilityError) Error() string {
	return "the client did not declare the " + e.Capability + " capability"
}

// MissingCapability returns the capability.
func (e *CapabilityError) MissingCapability() string { return e.Capability }

// ClientError is a JSON-RPC error the client answered a server→client
// request with.
type ClientError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *ClientError) Error() string { return "client error: " + e.Message }

// JSON-RPC error codes a handler or middleware may answer with (as
// RPCError.Code) or a client may see. The server uses the same values for
// its own answers.
const (
	// CodeInvalidParams: the params are of the wrong shape or name
	// something that does not exist.
	CodeInvalidParams = -32602
	// CodeInternalError: the handler failed (an error that is not an
	// RPCError becomes this, with its text).
	CodeInternalError = -32603
	// CodeServerBusy: the server is overloaded; the client may retry later.
	CodeServerBusy = -32000
	// CodeRequestTimeout: a message or a handshake did not arrive in time.
	// Not for refusals.
	CodeRequestTimeout = -32001
	// CodeResourceNotFound: legacy-era resources/read of an unknown URI
	// (return ErrResourceNotFound rather than this).
	CodeResourceNotFound = -32002
	// CodeInsufficientScope: authorization refused the request: its token
	// lacks a scope (data.scope names what is needed).
	CodeInsufficientScope = -32003
	// CodeUnauthorized: authorization refused a stdio or NDJSON session
	// that presented no valid credential.
	CodeUnauthorized = -32004
	// CodeForbidden: the server's policy refuses the request — the code
	// for a refusal a middleware or handler makes on its own grounds. (The
	// official Go SDK's client reads -32003 and -32004 as its own
	// connection-closing errors, so a policy refusal with them would reach
	// its callers as "connection closed".)
	CodeForbidden = -32010
)

// Errors handlers return or test for.
var (
	// ErrResourceNotFound: return it from a resource handler for a URI it
	// does not have; the client gets -32002 (legacy) or -32602 (modern).
	ErrResourceNotFound = router.ErrResourceNotFound
	// ErrInputRequired: Elicit, Sample or ListRoots in the modern era when
	// the client must answer first; return it from the handler, and the
	// client retries the request with the answer.
	ErrInputRequired = router.ErrInputRequired
	// ErrWouldBlock: an Inline handler asked the client for something in
	// the legacy era, which would block the event loop; register the tool
	// without Inline.
	ErrWouldBlock = router.ErrWouldBlock
	// ErrClientTimeout: the client did not answer a legacy server→client
	// request within Options.ClientRequestTimeout.
	ErrClientTimeout = router.ErrClientTimeout
	// ErrNoTask: Request.StartTask on a call that cannot become a task.
	ErrNoTask = router.ErrNoTask
	// ErrToolExists: a tool name registered twice.
	ErrToolExists = router.ErrToolExists
)

// Extension identifiers, as clients declare them in their capabilities.
const (
	ExtTasks  = router.ExtTasks
	ExtSkills = router.ExtSkills
)
