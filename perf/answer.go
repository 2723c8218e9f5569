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
)

var verdictNames = [...]string{"ok", "no id", "wrong id", "rpc error", "no echo text"}

func (v verdict) String() string { return verdictNames[v] }

var (
	keyID     = []byte(`"id":`)
	keyResult = []byte(`"result":`)
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

// checkAnswer verifies the answer body of call want, whose echo text was text.
func checkAnswer(body []byte, want uint64, text []byte) verdict {
	id, ok := answerID(body)
	switch {
	case !ok:
		return verdictNoID
	case id != want:
		return verdictWrongID
	case !bytes.Contains(body, keyResult):
		return verdictRPCError
	case !bytes.Contains(body, text):
		return verdictNoText
	}
	return verdictOK
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
