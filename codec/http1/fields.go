package http1

import (
	"bytes"
	"math"
)

// framingFields collects what the fields say about framing and the
// connection while they are indexed.
type framingFields struct {
	hosts, lengths, encodings int
	contentLength             int
	chunked                   bool
	close, keepAlive, expect  bool
}

// parseFields copies the rest of the header block head (whose request line
// is already in r.head), indexes the fields and decides the body framing.
func (r *Request) parseFields(head []byte, maxBody int) error {
	pos := len(r.head)
	r.head = append(r.head, head[pos:]...)
	var ff framingFields
	// The last two bytes are the blank line; scanHead has checked that every
	// line ends in CRLF.
	for pos < len(r.head)-2 {
		lf := pos + bytes.IndexByte(r.head[pos:], '\n')
		line := r.head[pos : lf-1]
		colon, err := checkFieldLine(line)
		if err != nil {
			return err
		}
		if len(r.fields) == MaxHeaderFields {
			return ErrTooManyFields
		}
		value := trimOWS(line[colon+1:])
		vOff := pos + colon + 1
		for vOff < lf && (r.head[vOff] == ' ' || r.head[vOff] == '\t') {
			vOff++
		}
		f := field{
			name:  span{int32(pos), int32(pos + colon)},
			value: span{int32(vOff), int32(vOff + len(value))},
		}
		r.fields = append(r.fields, f)
		if err := ff.note(line[:colon], value, maxBody); err != nil {
			return err
		}
		pos = lf + 1
	}
	return r.decideFraming(&ff, maxBody)
}

// checkFieldLine checks "name: value" (without CRLF) and returns the index
// of the colon (RFC 9112 §5.1, RFC 9110 §5.5).
func checkFieldLine(line []byte) (int, error) {
	if len(line) > 0 && (line[0] == ' ' || line[0] == '\t') {
		return 0, ErrObsFold
	}
	colon := -1
	for i, c := range line {
		if c == ':' {
			colon = i
			break
		}
		if !isTokenChar[c] {
			if c == ' ' {
				return 0, ErrFieldNameWhitespace
			}
			return 0, ErrFieldName
		}
	}
	if colon <= 0 {
		return 0, ErrFieldName
	}
	if !validFieldValue(line[colon+1:]) {
		return 0, ErrFieldValue
	}
	return colon, nil
}

// note records a field that matters for framing or the connection. Names are
// matched by length first: most fields are none of these.
func (ff *framingFields) note(name, value []byte, maxBody int) error {
	switch len(name) {
	case len("host"):
		if !equalFold(name, "host") {
			return nil
		}
		if ff.hosts++; ff.hosts > 1 {
			return ErrDuplicateHost
		}
		if len(value) > 0 && !validAuthority(value, true) {
			return ErrInvalidHost
		}
	case len("expect"):
		if equalFold(name, "expect") && hasElement(value, "100-continue") {
			ff.expect = true
		}
	case len("trailer"):
		if equalFold(name, "trailer") && (hasElement(value, "content-length") ||
			hasElement(value, "transfer-encoding") || hasElement(value, "trailer")) {
			return ErrTrailerDeclaration
		}
	case len("connection"):
		if equalFold(name, "connection") {
			ff.close = ff.close || hasElement(value, "close")
			ff.keepAlive = ff.keepAlive || hasElement(value, "keep-alive")
		}
	case len("content-length"):
		if !equalFold(name, "content-length") {
			return nil
		}
		if ff.lengths++; ff.lengths > 1 {
			return ErrDuplicateContentLength
		}
		return ff.noteContentLength(value, maxBody)
	case len("transfer-encoding"):
		if equalFold(name, "transfer-encoding") {
			ff.encodings++
			ff.chunked = ff.encodings == 1 && equalFold(value, "chunked")
		}
	}
	return nil
}

// noteContentLength parses 1*DIGIT, saturating just above maxBody so that
// any length of digits is safe and an oversized body is known at once.
func (ff *framingFields) noteContentLength(value []byte, maxBody int) error {
	if len(value) == 0 {
		return ErrContentLength
	}
	n := 0
	for _, c := range value {
		if !isDigit(c) {
			return ErrContentLength
		}
		switch {
		case n > maxBody:
		case n > (math.MaxInt-9)/10:
			n = math.MaxInt
		default:
			n = n*10 + int(c-'0')
		}
	}
	ff.contentLength = n
	return nil
}

// decideFraming applies RFC 9112 §6.3, refusing every ambiguous case.
func (r *Request) decideFraming(ff *framingFields, maxBody int) error {
	if r.minor == 1 && ff.hosts == 0 {
		return ErrMissingHost
	}
	switch {
	case ff.encodings > 0:
		if r.minor == 0 {
			return ErrTransferEncodingHTTP10
		}
		if ff.lengths > 0 {
			return ErrLengthAndChunked
		}
		if !ff.chunked {
			return ErrTransferEncoding
		}
		r.framing = framingChunked
	case ff.lengths > 0:
		if ff.contentLength > maxBody {
			return ErrBodyTooLarge
		}
		r.framing = framingLength
		r.contentLength = ff.contentLength
	}
	r.keepAlive = !ff.close && (r.minor == 1 || ff.keepAlive)
	r.expectContinue = ff.expect && r.minor == 1
	return nil
}
