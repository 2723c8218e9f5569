package perf

import "bytes"

// verdict is what the verifier concluded about one answer.
type verdict uint8

const (
	verdictOK verdict = iota
	// verdictNoID: no numeric top-level "id" in the answer.
	verdictNoID
	// verdictWrongID: the id is not the one this answer had to carry.
	verdictWrongID
	// verdictRPCError: a JSON-RPC error, or no "result" at all.
	verdictRPCError
	// verdictNoText: the result does not carry the echo text that was sent.
	verdictNoText
	// verdictToolError: a result with "isError":true (calls of tools other than echo).
	verdictToolError
	// verdictRefused: a JSON-RPC error in the server-defined range (-32099..-32000) whose
	// data carries retryAfterMs: the server declined the call for now.
	verdictRefused
	// verdictBadRefusal: an error in that range without retryAfterMs: a refusal that does
	// not say when to retry, counted as an error.
	verdictBadRefusal
)

var verdictNames = [...]string{"ok", "no id", "wrong id", "rpc error", "no echo text", "tool error", "refused", "refusal without retryAfterMs"}

func (v verdict) String() string { return verdictNames[v] }

var (
	keyID         = []byte(`"id":`)
	keyResult     = []byte(`"result":`)
	keyError      = []byte(`"error":`)
	keyCode       = []byte(`"code":`)
	keyRetryAfter = []byte(`"retryAfterMs":`)
	keyIsErrorT   = []byte(`"isError":true`)
)

// The JSON-RPC range of server-defined errors, where refusals live.
const (
	serverErrorLow  = -32099
	serverErrorHigh = -32000
)

// answerID finds the numeric id of a JSON-RPC answer with a byte scan. The echo text never
// holds a quote, and a quote inside any JSON string is escaped, so the unescaped bytes
// `"id":` only occur as a key.
func answerID(b []byte) (uint64, bool) {
	i := bytes.Index(b, keyID)
	if i < 0 {
		return 0, false
	}
	b = b[i+len(keyID):]
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r' || b[0] == '\n') {
		b = b[1:]
	}
	var id uint64
	n := 0
	for n < len(b) && b[n] >= '0' && b[n] <= '9' && n < 19 {
		id = id*10 + uint64(b[n]-'0')
		n++
	}
	if n == 0 || (n < len(b) && b[n] >= '0' && b[n] <= '9') {
		return 0, false
	}
	return id, true
}

// checkAnswer verifies the answer body of call want. text is the echo text the result must
// carry, or nil for a call of another tool, whose result must not be a tool error. A
// refusal's retryAfterMs comes back with verdictRefused.
func checkAnswer(body []byte, want uint64, text []byte) (verdict, int64) {
	id, ok := answerID(body)
	switch {
	case !ok:
		return verdictNoID, 0
	case id != want:
		return verdictWrongID, 0
	case !bytes.Contains(body, keyResult):
		return errorVerdict(body)
	case text != nil && !bytes.Contains(body, text):
		return verdictNoText, 0
	case text == nil && bytes.Contains(body, keyIsErrorT):
		return verdictToolError, 0
	}
	return verdictOK, 0
}

// errorVerdict classifies an answer without a result: a refusal when its error code is in
// the server-defined range and its data says when to retry.
func errorVerdict(body []byte) (verdict, int64) {
	i := bytes.Index(body, keyError)
	if i < 0 {
		return verdictRPCError, 0
	}
	body = body[i+len(keyError):]
	j := bytes.Index(body, keyCode)
	if j < 0 {
		return verdictRPCError, 0
	}
	code, ok := jsonInt(body[j+len(keyCode):])
	if !ok || code < serverErrorLow || code > serverErrorHigh {
		return verdictRPCError, 0
	}
	k := bytes.Index(body, keyRetryAfter)
	if k < 0 {
		return verdictBadRefusal, 0
	}
	ms, ok := jsonInt(body[k+len(keyRetryAfter):])
	if !ok || ms < 0 {
		return verdictBadRefusal, 0
	}
	return verdictRefused, ms
}

// jsonInt reads the integer at the start of b (after blanks); a fraction is dropped.
func jsonInt(b []byte) (int64, bool) {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r' || b[0] == '\n') {
		b = b[1:]
	}
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	var v int64
	n := 0
	for n < len(b) && b[n] >= '0' && b[n] <= '9' && n < 18 {
		v = v*10 + int64(b[n]-'0')
		n++
	}
	if n == 0 {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

// stringField returns the value of the first `"key":"value"` in b, unescaped bytes as sent.
func stringField(b []byte, key string) []byte {
	i := bytes.Index(b, []byte(`"`+key+`":"`))
	if i < 0 {
		return nil
	}
	b = b[i+len(key)+4:]
	j := bytes.IndexByte(b, '"')
	if j < 0 {
		return nil
	}
	return b[:j]
}
