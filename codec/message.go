package codec

// Kind says which of the four JSON-RPC 2.0 message shapes a Message has.
type Kind uint8

// The JSON-RPC 2.0 message kinds. The zero Kind means "not decoded".
const (
	// KindRequest has a method and an id: it must be answered.
	KindRequest Kind = iota + 1
	// KindNotification has a method and no id: it is never answered.
	KindNotification
	// KindResponse has an id and a result.
	KindResponse
	// KindErrorResponse has an id and an error object.
	KindErrorResponse
)

// String names the kind in the protocol's words (for logs and tests).
func (k Kind) String() string {
	switch k {
	case KindRequest:
		return "request"
	case KindNotification:
		return "notification"
	case KindResponse:
		return "response"
	case KindErrorResponse:
		return "error response"
	}
	return "invalid"
}

// Message is one decoded JSON-RPC 2.0 message. Every slice aliases either the
// decoded line or the Decoder's scratch space, so a Message is valid only
// until the line's buffer is reused or the Decoder decodes again; copy what
// must outlive the request.
type Message struct {
	Kind Kind
	// ID is the raw id token, byte for byte as received: a string with its
	// quotes and escapes ("\"abc\""), or a number (12345678901234567890, -0,
	// 1e5). Echo it verbatim; never round-trip it through a number type.
	// nil when the message has no id (notifications).
	ID []byte
	// Method is the method name, unescaped. nil for responses.
	Method []byte
	// Params is the raw JSON object or array of "params"; nil if absent.
	Params []byte
	// Result is the raw JSON value of "result" (KindResponse).
	Result []byte
	// Error is the raw JSON object of "error" (KindErrorResponse).
	Error []byte

	idx *Index // what the Decoder recorded of params (see Index)
}

// Reset clears m for reuse.
func (m *Message) Reset() {
	*m = Message{}
}
