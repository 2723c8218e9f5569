package router

import (
	"encoding/base64"
	"errors"
	"time"

	"github.com/densemcp/densemcp/codec"
)

// Multi round-trip requests (modern era). A handler that needs the client
// (elicitation, sampling, roots) gets ErrInputRequired; the client receives
// an input_required result listing the requests and an opaque requestState,
// answers them, and retries the original request with inputResponses and
// the requestState. The server keeps nothing between rounds: the answers of
// earlier rounds travel inside requestState, signed with HMAC-SHA256 so a
// client cannot forge or alter them, bound to the method and target so a
// state cannot be replayed on another request, and stamped with an expiry.

// RequestStateTTL bounds how long a requestState may be replayed.
const RequestStateTTL = 10 * time.Minute

// stateBinding names what a requestState may be used for: the method and
// the raw name (or uri) of its target.
func stateBinding(q *request) []byte {
	b := append([]byte(nil), q.method...)
	b = append(b, 0)
	if v, ok := codec.ObjectField(q.params, "name"); ok {
		b = append(b, v...)
	} else if v, ok := codec.ObjectField(q.params, "uri"); ok {
		b = append(b, v...)
	}
	return b
}

// inputResponsesOf merges the answers carried by a retried request: those
// in its inputResponses and those of earlier rounds inside requestState.
// It returns nil when the request carries neither.
func (r *Router) inputResponsesOf(q *request) ([]byte, error) {
	st, ir := q.requestState, q.inputResponses
	if !q.paramsScanned {
		q.idx.Each(q.params, func(k, v []byte) bool {
			switch string(k) {
			case "requestState":
				st = v
			case "inputResponses":
				ir = v
			}
			return true
		})
	}
	hasState, hasIR := st != nil, ir != nil
	if hasIR {
		if !codec.IsObject(ir) {
			return nil, errors.New("inputResponses must be an object")
		}
		bad := false
		codec.ObjectEach(ir, func(_, v []byte) bool { bad = !codec.IsObject(v); return !bad })
		if bad {
			return nil, errors.New("each inputResponses value must be the result object of its input request")
		}
	}
	var earlier []byte
	if hasState && !codec.IsNull(st) {
		var err error
		if earlier, err = r.openState(q, st); err != nil {
			return nil, err
		}
	}
	if !hasIR && earlier == nil {
		return nil, nil
	}
	out := []byte{'{'}
	n := 0
	add := func(key, val []byte) {
		if n > 0 {
			out = append(out, ',')
		}
		n++
		out = codec.AppendStringBytes(out, key)
		out = append(out, ':')
		out = append(out, val...)
	}
	if hasIR {
		codec.ObjectEach(ir, func(k, v []byte) bool { add(k, v); return true })
	}
	if earlier != nil {
		codec.ObjectEach(earlier, func(k, v []byte) bool {
			if !hasIR {
				add(k, v)
				return true
			}
			if _, dup := codec.ObjectField(ir, string(k)); !dup {
				add(k, v)
			}
			return true
		})
	}
	return append(out, '}'), nil
}

// sealState returns the requestState carrying responses for request q.
func (r *Router) sealState(binding, responses []byte) string {
	payload := make([]byte, 0, 64+len(responses))
	payload = append(payload, `{"b":`...)
	payload = codec.AppendStringBytes(payload, binding)
	payload = append(payload, `,"e":`...)
	payload = appendInt(payload, int(time.Now().Add(RequestStateTTL).Unix()))
	payload = append(payload, `,"r":`...)
	if responses == nil {
		responses = []byte(`{}`)
	}
	payload = append(payload, responses...)
	payload = append(payload, '}')
	sum := stateMAC(r.keys.Load().sign, payload)
	return base64.RawURLEncoding.EncodeToString(payload) + "." + base64.RawURLEncoding.EncodeToString(sum)
}

// openState verifies a requestState token and returns the responses it
// carries.
func (r *Router) openState(q *request, tok []byte) ([]byte, error) {
	if !codec.IsString(tok) {
		return nil, errBadRequestState
	}
	raw, err := codec.Unquote(nil, tok)
	if err != nil {
		return nil, errBadRequestState
	}
	dot := -1
	for i, c := range raw {
		if c == '.' {
			dot = i
			break
		}
	}
	if dot < 0 {
		return nil, errBadRequestState
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(string(raw[:dot]))
	sum, err2 := base64.RawURLEncoding.DecodeString(string(raw[dot+1:]))
	if err1 != nil || err2 != nil {
		return nil, errBadRequestState
	}
	if !r.verifyState(payload, sum) {
		return nil, errBadRequestState
	}
	// Signed by us, so well-formed; still parsed defensively.
	if codec.Valid(payload) != nil {
		return nil, errBadRequestState
	}
	b, _ := codec.ObjectField(payload, "b")
	bind, err := codec.Unquote(nil, b)
	if err != nil || string(bind) != string(stateBinding(q)) {
		return nil, errBadRequestState
	}
	e, _ := codec.ObjectField(payload, "e")
	if exp := parseUint(e); exp < 0 || time.Now().Unix() > exp {
		return nil, errBadRequestState
	}
	resp, ok := codec.ObjectField(payload, "r")
	if !ok || !codec.IsObject(resp) {
		return nil, errBadRequestState
	}
	return resp, nil
}

func parseUint(b []byte) int64 {
	if len(b) == 0 || len(b) > 18 {
		return -1
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

// appendInputRequired renders an InputRequiredResult for req.
func (r *Router) appendInputRequired(buf []byte, req *Request) ([]byte, error) {
	buf = append(buf, `{"resultType":"input_required","inputRequests":{`...)
	for i, in := range req.inputRequests {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = codec.AppendString(buf, in.key)
		buf = append(buf, `:{"method":`...)
		buf = codec.AppendString(buf, in.method)
		buf = append(buf, `,"params":`...)
		buf = append(buf, in.params...)
		buf = append(buf, '}')
	}
	buf = append(buf, `},"requestState":`...)
	buf = codec.AppendString(buf, r.sealState(stateBinding(&request{method: req.method, params: req.params}), req.responses))
	buf = append(buf, `,"_meta":{"io.modelcontextprotocol/serverInfo":`...)
	buf = append(buf, r.infoJSON...)
	buf = append(buf, `}}`...)
	return buf, nil
}
