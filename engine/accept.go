package engine

import "bytes"

// Hand-written for the hot path: every POST reads its Content-Type and
// Accept, and the general-purpose searches (bytes.TrimSpace, up to four
// bytes.Contains) cost more than the rest of the transport's own checks.

// isJSONContentType reports whether a Content-Type value starts with
// application/json, after bytes.TrimSpace as the check always was. The
// parser has already trimmed SP and HTAB and refuses other ASCII control
// bytes, so only a value starting with a non-ASCII byte (a Unicode space)
// needs the trim.
func isJSONContentType(ct []byte) bool {
	if len(ct) > 0 && ct[0] >= 0x80 {
		ct = bytes.TrimSpace(ct)
	}
	return len(ct) >= len("application/json") && string(ct[:len("application/json")]) == "application/json"
}

// acceptMedia reads an Accept value (nil: absent) for what the transport
// asks of it: whether it admits text/event-stream, and whether it admits
// application/json. An absent header admits both; otherwise a type is
// admitted when the value contains it or "*/*" as a substring. Each of
// those substrings has a '/' at a fixed place, so one pass over the '/'
// bytes finds them all.
func acceptMedia(a []byte) (sse, json bool) {
	if a == nil {
		return true, true
	}
	if string(a) == "application/json, text/event-stream" {
		return true, true // what MCP clients send: one compare
	}
	for i := bytes.IndexByte(a, '/'); i >= 0; {
		switch {
		case i >= 1 && a[i-1] == '*' && i+1 < len(a) && a[i+1] == '*':
			return true, true
		case i >= 4 && string(a[i-4:i]) == "text" && hasAt(a, i+1, "event-stream"):
			sse = true
		case i >= 11 && string(a[i-11:i]) == "application" && hasAt(a, i+1, "json"):
			json = true
		}
		j := bytes.IndexByte(a[i+1:], '/')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return sse, json
}

// hasAt reports whether b holds s at offset i.
func hasAt(b []byte, i int, s string) bool {
	return len(b)-i >= len(s) && string(b[i:i+len(s)]) == s
}
