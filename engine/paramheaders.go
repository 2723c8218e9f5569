package engine

import (
	"bytes"
	"encoding/base64"
	"strconv"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/router"
)

// checkParamHeaders checks the Mcp-Param-* headers of a modern tools/call
// against its arguments (SEP-2243 "Server Behavior for Custom Headers"): a
// parameter with a value needs its header, equal to the value after the
// Base64 sentinel is decoded; a parameter without one (absent or null) must
// have no header either, since the header would claim a value the body does
// not hold. Numbers compare numerically ("42.0" matches 42). Only tools
// that declare x-mcp-header parameters come here, so the common call pays
// nothing; buffers live on the stack unless a value is long.
func checkParamHeaders(req headerSource, params []router.HeaderParam, args []byte) (int, string) {
	for i := range params {
		p := &params[i]
		val, present := argumentAt(args, p.Path)
		if present && codec.IsNull(val) {
			present = false
		}
		hv := req.Header(p.Header)
		if !present {
			if hv != nil {
				return codec.CodeHeaderMismatch, p.Header + " header is set but the arguments have no value for it"
			}
			continue
		}
		if hv == nil {
			return codec.CodeHeaderMismatch, "missing " + p.Header + " header for a parameter the arguments carry"
		}
		if !validFieldValue(hv) {
			return codec.CodeHeaderMismatch, p.Header + " header contains characters a header value may not carry"
		}
		var db [256]byte
		hdr, ok := decodeSentinel(db[:0], hv)
		if !ok {
			return codec.CodeHeaderMismatch, p.Header + " header has invalid Base64 in its =?base64?…?= encoding"
		}
		if !headerMatches(hdr, val) {
			return codec.CodeHeaderMismatch, p.Header + " header does not match the body's argument"
		}
	}
	return 0, ""
}

// argumentAt returns the value at a property path of the arguments object.
func argumentAt(args []byte, path []string) ([]byte, bool) {
	v := args
	for _, k := range path {
		var ok bool
		if v, ok = codec.ObjectField(v, k); !ok {
			return nil, false
		}
	}
	return v, true
}

// validFieldValue reports whether v holds only what RFC 9110 allows in a
// field value: visible ASCII, space and horizontal tab.
func validFieldValue(v []byte) bool {
	for _, c := range v {
		if (c < 0x21 || c > 0x7e) && c != ' ' && c != '\t' {
			return false
		}
	}
	return true
}

// strictBase64 is padded standard Base64 that also rejects non-zero
// trailing bits, so one value has one encoding.
var strictBase64 = base64.StdEncoding.Strict()

// decodeSentinel undoes the Base64 sentinel encoding "=?base64?<data>?="
// into dst; a value without both markers is literal and returned as is.
// ok is false when the markers are there but the data is not strict,
// padded standard Base64.
func decodeSentinel(dst, v []byte) ([]byte, bool) {
	const pre, post = "=?base64?", "?="
	if len(v) < len(pre)+len(post) || !bytes.HasPrefix(v, []byte(pre)) || !bytes.HasSuffix(v, []byte(post)) {
		return v, true
	}
	out, err := strictBase64.AppendDecode(dst, v[len(pre):len(v)-len(post)])
	return out, err == nil
}

// headerMatches compares a decoded header value with a JSON argument:
// strings byte for byte, numbers by value, booleans as "true"/"false".
// Objects and arrays cannot be carried in a header and never match.
func headerMatches(hdr, val []byte) bool {
	switch {
	case codec.IsString(val):
		var ub [256]byte
		body, err := codec.Unquote(ub[:0], val)
		return err == nil && bytes.Equal(hdr, body)
	case string(val) == "true" || string(val) == "false":
		return bytes.Equal(hdr, val)
	case len(val) > 0 && (val[0] == '-' || val[0] >= '0' && val[0] <= '9'):
		return numbersEqual(hdr, val)
	}
	return false
}

// numbersEqual compares two decimal numbers: exactly when both are
// integers that fit int64, else as float64 (the spec's example is 42.0 and
// 42, which are equal).
func numbersEqual(a, b []byte) bool {
	if x, err := strconv.ParseInt(string(a), 10, 64); err == nil {
		if y, err := strconv.ParseInt(string(b), 10, 64); err == nil {
			return x == y
		}
	}
	x, err1 := strconv.ParseFloat(string(a), 64)
	y, err2 := strconv.ParseFloat(string(b), 64)
	return err1 == nil && err2 == nil && x == y
}
