package router

import "errors"

// Sentinel errors: handlers return or test for the exported ones; the
// router branches on the rest.
var (
	// ErrResourceNotFound is returned by a resource handler for a URI it
	// does not have; the client gets -32002 (legacy) or -32602 (modern).
	ErrResourceNotFound = errors.New("resource not found")
	// ErrInputRequired is returned by Elicit, Sample and ListRoots in the
	// modern era when the answer is not in the retried request yet. Return
	// it from the handler: the client gets an input_required result and
	// retries with the answers.
	ErrInputRequired = errors.New("input required from the client")
	// ErrWouldBlock: an inline handler cannot wait for the client.
	ErrWouldBlock = errors.New("an inline handler cannot wait for the client; register it with Inline false")
	// ErrClientTimeout: the client did not answer in time.
	ErrClientTimeout = errors.New("the client did not answer in time")
	// ErrToolExists is returned when a tool name is registered twice.
	ErrToolExists = errors.New("tool already registered")

	errSessionClosed     = errors.New("session closed")
	errHandlerPanicked   = errors.New("internal error: the handler panicked")
	errBadRequestState   = errors.New("invalid requestState: it was altered, expired, or issued for another request")
	errInvalidPromptArgs = errors.New("invalid prompt arguments")
	errContentNotObject  = errors.New("content block must be a valid JSON object")
)
