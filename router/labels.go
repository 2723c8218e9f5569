package router

import "github.com/densemcp/densemcp/codec"

// Bounded label sets for request metrics and spans. A label is an index
// into a fixed table, never a string taken from the wire, so a client
// cannot grow the number of series (a method it makes up is "other").

// Method indexes: the requests a server answers.
const (
	MethodOther uint8 = iota // a method the server does not know
	// MethodInvalid is a message the codec rejected (no method to name).
	MethodInvalid
	MethodInitialize
	MethodPing
	MethodLoggingSetLevel
	MethodToolsList
	MethodToolsCall
	MethodResourcesList
	MethodResourcesTemplatesList
	MethodResourcesRead
	MethodResourcesSubscribe
	MethodResourcesUnsubscribe
	MethodPromptsList
	MethodPromptsGet
	MethodCompletionComplete
	MethodServerDiscover
	MethodSubscriptionsListen
	MethodTasksGet
	MethodTasksResult
	MethodTasksList
	MethodTasksCancel
	MethodTasksUpdate
	MethodSkillsList
	MethodSkillsGet
	MethodResourcesDirectoryRead
	NumMethods
)

var methodNames = [NumMethods]string{
	MethodOther:                  "other",
	MethodInvalid:                "invalid",
	MethodInitialize:             "initialize",
	MethodPing:                   "ping",
	MethodLoggingSetLevel:        "logging/setLevel",
	MethodToolsList:              "tools/list",
	MethodToolsCall:              "tools/call",
	MethodResourcesList:          "resources/list",
	MethodResourcesTemplatesList: "resources/templates/list",
	MethodResourcesRead:          "resources/read",
	MethodResourcesSubscribe:     "resources/subscribe",
	MethodResourcesUnsubscribe:   "resources/unsubscribe",
	MethodPromptsList:            "prompts/list",
	MethodPromptsGet:             "prompts/get",
	MethodCompletionComplete:     "completion/complete",
	MethodServerDiscover:         "server/discover",
	MethodSubscriptionsListen:    "subscriptions/listen",
	MethodTasksGet:               "tasks/get",
	MethodTasksResult:            "tasks/result",
	MethodTasksList:              "tasks/list",
	MethodTasksCancel:            "tasks/cancel",
	MethodTasksUpdate:            "tasks/update",
	MethodSkillsList:             "skills/list",
	MethodSkillsGet:              "skills/get",
	MethodResourcesDirectoryRead: "resources/directory/read",
}

// MethodName returns the label of method index i.
func MethodName(i uint8) string {
	if i >= NumMethods {
		return methodNames[MethodOther]
	}
	return methodNames[i]
}

// methodIndex maps a method to its index without allocating (a switch on
// string(b) compiles to comparisons, no conversion).
func methodIndex(m []byte) uint8 {
	switch string(m) {
	case "tools/call":
		return MethodToolsCall
	case "initialize":
		return MethodInitialize
	case "ping":
		return MethodPing
	case "logging/setLevel":
		return MethodLoggingSetLevel
	case "tools/list":
		return MethodToolsList
	case "resources/list":
		return MethodResourcesList
	case "resources/templates/list":
		return MethodResourcesTemplatesList
	case "resources/read":
		return MethodResourcesRead
	case "resources/subscribe":
		return MethodResourcesSubscribe
	case "resources/unsubscribe":
		return MethodResourcesUnsubscribe
	case "prompts/list":
		return MethodPromptsList
	case "prompts/get":
		return MethodPromptsGet
	case "completion/complete":
		return MethodCompletionComplete
	case "server/discover":
		return MethodServerDiscover
	case "subscriptions/listen":
		return MethodSubscriptionsListen
	case "tasks/get":
		return MethodTasksGet
	case "tasks/result":
		return MethodTasksResult
	case "tasks/list":
		return MethodTasksList
	case "tasks/cancel":
		return MethodTasksCancel
	case "tasks/update":
		return MethodTasksUpdate
	case "skills/list":
		return MethodSkillsList
	case "skills/get":
		return MethodSkillsGet
	case "resources/directory/read":
		return MethodResourcesDirectoryRead
	}
	return MethodOther
}

// Error types, after the OpenTelemetry MCP conventions: a JSON-RPC error's
// code as a string, "tool_error" for a tools/call result with isError, and
// "_OTHER" for a code outside the known set (handlers may return any code).
const (
	ErrTypeNone uint8 = iota
	ErrTypeTool
	ErrTypeParse
	ErrTypeInvalidRequest
	ErrTypeMethodNotFound
	ErrTypeInvalidParams
	ErrTypeInternal
	ErrTypeServerBusy
	ErrTypeResourceNotFound
	ErrTypeHeaderMismatch
	ErrTypeMissingCapability
	ErrTypeUnsupportedVersion
	ErrTypeURLElicitation
	ErrTypeRequestTimeout
	ErrTypeInsufficientScope
	ErrTypeUnauthorized
	ErrTypeOther
	NumErrTypes
)

var errTypeNames = [NumErrTypes]string{
	ErrTypeNone:               "",
	ErrTypeTool:               "tool_error",
	ErrTypeParse:              "-32700",
	ErrTypeInvalidRequest:     "-32600",
	ErrTypeMethodNotFound:     "-32601",
	ErrTypeInvalidParams:      "-32602",
	ErrTypeInternal:           "-32603",
	ErrTypeServerBusy:         "-32000",
	ErrTypeResourceNotFound:   "-32002",
	ErrTypeHeaderMismatch:     "-32020",
	ErrTypeMissingCapability:  "-32021",
	ErrTypeUnsupportedVersion: "-32022",
	ErrTypeURLElicitation:     "-32042",
	ErrTypeRequestTimeout:     "-32001",
	ErrTypeInsufficientScope:  "-32003",
	ErrTypeUnauthorized:       "-32004",
	ErrTypeOther:              "_OTHER",
}

// ErrTypeName returns the error.type label of index i ("" for success).
func ErrTypeName(i uint8) string {
	if i >= NumErrTypes {
		return errTypeNames[ErrTypeOther]
	}
	return errTypeNames[i]
}

// errTypeOf maps a JSON-RPC error code to its error type index.
func errTypeOf(code int) uint8 {
	switch code {
	case 0:
		return ErrTypeNone
	case codec.CodeParseError:
		return ErrTypeParse
	case codec.CodeInvalidRequest:
		return ErrTypeInvalidRequest
	case codec.CodeMethodNotFound:
		return ErrTypeMethodNotFound
	case codec.CodeInvalidParams:
		return ErrTypeInvalidParams
	case codec.CodeInternalError:
		return ErrTypeInternal
	case codec.CodeServerBusy:
		return ErrTypeServerBusy
	case codec.CodeResourceNotFound:
		return ErrTypeResourceNotFound
	case codec.CodeHeaderMismatch:
		return ErrTypeHeaderMismatch
	case codec.CodeMissingClientCapability:
		return ErrTypeMissingCapability
	case codec.CodeUnsupportedProtocolVersion:
		return ErrTypeUnsupportedVersion
	case codec.CodeURLElicitationRequired:
		return ErrTypeURLElicitation
	case codec.CodeRequestTimeout:
		return ErrTypeRequestTimeout
	case codec.CodeInsufficientScope:
		return ErrTypeInsufficientScope
	case codec.CodeUnauthorized:
		return ErrTypeUnauthorized
	}
	return ErrTypeOther
}

// TransportKind is the transport a session arrived on.
type TransportKind uint8

const (
	// TransportNDJSON: newline-delimited JSON over TCP.
	TransportNDJSON TransportKind = iota
	// TransportHTTP: Streamable HTTP.
	TransportHTTP
	// TransportStdio: stdin/stdout.
	TransportStdio
	NumTransportKinds
)

// String is the transport's name in densemcp's own metrics.
func (k TransportKind) String() string {
	switch k {
	case TransportNDJSON:
		return "ndjson"
	case TransportHTTP:
		return "http"
	case TransportStdio:
		return "stdio"
	}
	return "unknown"
}

// NetworkTransport is the OpenTelemetry network.transport value: "tcp", or
// "pipe" for stdio.
func (k TransportKind) NetworkTransport() string {
	if k == TransportStdio {
		return "pipe"
	}
	return "tcp"
}

// NetworkProtocol is the OpenTelemetry network.protocol.name value: "http"
// for Streamable HTTP, "" for the raw JSON-RPC streams.
func (k TransportKind) NetworkProtocol() string {
	if k == TransportHTTP {
		return "http"
	}
	return ""
}
