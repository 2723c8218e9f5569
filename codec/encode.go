package codec

import (
	"strconv"
	"unicode/utf8"
)

// Hand-written JSON-RPC envelopes, appended to caller buffers (pooled per
// connection or per response). The envelope is fixed text around raw values,
// so writing it by hand costs a few appends where a reflective encoder would
// walk a struct; only results go through sonic (AppendJSON).
//
// Raw values (ids, results, params, data) are copied verbatim: callers pass
// ids exactly as Decode returned them and values produced by AppendJSON or
// already validated.

const (
	headJSONRPC = `{"jsonrpc":"2.0"`
	fieldID     = `,"id":`
	fieldResult = `,"result":`
	fieldError  = `,"error":{"code":`
	fieldMethod = `,"method":`
	fieldParams = `,"params":`
)

// appendID appends a raw id, or null for a nil id.
func appendID(dst, id []byte) []byte {
	if id == nil {
		return append(dst, "null"...)
	}
	return append(dst, id...)
}

// AppendResultHead appends `{"jsonrpc":"2.0","id":<id>,"result":` so that the
// caller can encode the result directly after it (AppendJSON) and close with
// AppendResultTail, without an intermediate buffer. A nil id is written as
// null.
func AppendResultHead(dst, id []byte) []byte {
	dst = append(dst, headJSONRPC...)
	dst = append(dst, fieldID...)
	dst = appendID(dst, id)
	return append(dst, fieldResult...)
}

// AppendResultTail closes what AppendResultHead opened.
func AppendResultTail(dst []byte) []byte {
	return append(dst, '}')
}

// AppendResponse appends a success response with the raw result (nil is
// written as null, as "result" is required).
func AppendResponse(dst, id, result []byte) []byte {
	dst = AppendResultHead(dst, id)
	if result == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, result...)
	}
	return AppendResultTail(dst)
}

// AppendError appends an error response. A nil id is written as null (the
// request's id could not be read); data is raw JSON and omitted when nil.
func AppendError(dst, id []byte, code int, message string, data []byte) []byte {
	dst = append(dst, headJSONRPC...)
	dst = append(dst, fieldID...)
	dst = appendID(dst, id)
	dst = append(dst, fieldError...)
	dst = strconv.AppendInt(dst, int64(code), 10)
	dst = append(dst, `,"message":`...)
	dst = AppendString(dst, message)
	if data != nil {
		dst = append(dst, `,"data":`...)
		dst = append(dst, data...)
	}
	return append(dst, "}}"...)
}

// AppendNotification appends a notification; params is raw JSON and omitted
// when nil.
func AppendNotification(dst []byte, method string, params []byte) []byte {
	dst = append(dst, headJSONRPC...)
	return appendCall(dst, method, params)
}

// AppendRequest appends a request (a server-to-client request such as
// sampling/createMessage); params is raw JSON and omitted when nil.
func AppendRequest(dst, id []byte, method string, params []byte) []byte {
	dst = append(dst, headJSONRPC...)
	dst = append(dst, fieldID...)
	dst = appendID(dst, id)
	return appendCall(dst, method, params)
}

func appendCall(dst []byte, method string, params []byte) []byte {
	dst = append(dst, fieldMethod...)
	dst = AppendString(dst, method)
	if params != nil {
		dst = append(dst, fieldParams...)
		dst = append(dst, params...)
	}
	return append(dst, '}')
}

// AppendString appends s as a JSON string. It escapes only what JSON requires
// ('"', '\\', control characters, using the short forms \n \r \t \b \f where
// they exist) and nothing for HTML: MCP output is not embedded in web pages,
// and "<", ">", "&" stay readable. Invalid UTF-8 bytes become \ufffd, so the
// output is always valid JSON and valid UTF-8.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if i = plainRun(s, i); i == len(s) {
			break
		}
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		dst = append(dst, s[start:i]...)
		dst = appendEscapedASCII(dst, c)
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// AppendStringBytes is AppendString for a byte slice.
func AppendStringBytes(dst []byte, s []byte) []byte {
	return AppendString(dst, b2s(s))
}

const hexDigits = "0123456789abcdef"

// appendEscapedASCII escapes '"', '\\' or a control character.
func appendEscapedASCII(dst []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(dst, '\\', c)
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	}
	return append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
}
