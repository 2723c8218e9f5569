package http1

import "bytes"

// scanHead looks for the blank line ending the header block and returns the
// block's length, or 0 while it is incomplete. It checks as bytes arrive what
// can be checked early (the method, CRLF line ends, the request line) so that
// garbage such as a TLS hello on the plain port fails at once instead of
// after MaxHeaderBytes.
func (r *Request) scanHead(buf []byte, maxHead int) (int, error) {
	limit := min(len(buf), maxHead)
	if !r.methodDone {
		if err := r.checkMethod(buf[:limit]); err != nil {
			return 0, err
		}
	}
	for {
		from := max(r.lineStart, r.scanned)
		lf := bytes.IndexByte(buf[from:limit], '\n')
		if lf < 0 {
			r.scanned = limit
			break
		}
		lf += from
		if lf == r.lineStart || buf[lf-1] != '\r' {
			return 0, ErrBareLF
		}
		if r.lineStart == 0 {
			r.head = append(r.head[:0], buf[:lf+1]...)
			if err := r.parseRequestLine(lf - 1); err != nil {
				return 0, err
			}
		} else if lf == r.lineStart+1 {
			return lf + 1, nil
		}
		r.lineStart = lf + 1
	}
	if len(buf) >= maxHead {
		return 0, ErrHeaderTooLarge
	}
	return 0, nil
}

// checkMethod checks the method bytes that arrived since the last call.
func (r *Request) checkMethod(b []byte) error {
	for i := r.scanned; i < len(b); i++ {
		switch c := b[i]; {
		case c == ' ' && i > 0:
			r.methodDone = true
			return nil
		case !isTokenChar[c]:
			return ErrMethod
		}
	}
	return nil
}

// parseRequestLine parses r.head[:end], the request line without CRLF.
func (r *Request) parseRequestLine(end int) error {
	line := r.head[:end]
	sp1 := bytes.IndexByte(line, ' ')
	if sp1 <= 0 {
		return ErrMethod // checkMethod has seen a SP after a token; defensive
	}
	sp2 := bytes.IndexByte(line[sp1+1:], ' ')
	if sp2 < 0 {
		return ErrRequestLine
	}
	sp2 += sp1 + 1
	switch proto := line[sp2+1:]; {
	case string(proto) == "HTTP/1.1":
		r.minor = 1
	case string(proto) == "HTTP/1.0":
		r.minor = 0
	case len(proto) == 8 && string(proto[:5]) == "HTTP/" && isDigit(proto[5]) && proto[6] == '.' && isDigit(proto[7]):
		return ErrVersion
	default:
		return ErrRequestLine
	}
	r.method = span{0, int32(sp1)}
	r.target = span{int32(sp1 + 1), int32(sp2)}
	return r.parseTarget()
}

// parseTarget splits r.target into path and query (RFC 9112 §3.2).
func (r *Request) parseTarget() error {
	t := r.bytes(r.target)
	off := int(r.target.off)
	switch {
	case len(t) == 0:
		return ErrTarget
	case t[0] == '/':
		return r.splitPathQuery(off)
	case len(t) == 1 && t[0] == '*':
		// asterisk-form exists only for OPTIONS (RFC 9112 §3.2.4).
		if string(r.Method()) != "OPTIONS" {
			return ErrTarget
		}
		r.path = r.target
		return nil
	}
	return r.parseAbsoluteForm(t, off)
}

// parseAbsoluteForm accepts http(s)://host[:port][/path][?query] with a
// DNS name or IPv4 host; servers must accept absolute-form (RFC 9112
// §3.2.2), though only proxies are sent it in practice.
func (r *Request) parseAbsoluteForm(t []byte, off int) error {
	var scheme int
	switch {
	case len(t) >= 7 && equalFold(t[:7], "http://"):
		scheme = 7
	case len(t) >= 8 && equalFold(t[:8], "https://"):
		scheme = 8
	default:
		return ErrTarget
	}
	end := scheme
	for end < len(t) && t[end] != '/' && t[end] != '?' {
		end++
	}
	if !validAuthority(t[scheme:end], false) {
		return ErrTarget
	}
	r.authority = span{int32(off + scheme), int32(off + end)}
	r.hasAuthority = true
	return r.splitPathQuery(off + end)
}

// splitPathQuery validates the rest of the target from head[from:] and sets
// path and query. The path is routed on, so it must be exactly RFC 3986: no
// fragment, no raw non-ASCII, only well-formed %-escapes.
func (r *Request) splitPathQuery(from int) error {
	t := r.head[:r.target.end]
	i := from
	for ; i < len(t) && t[i] != '?'; i++ {
		switch c := t[i]; {
		case c == '%':
			if i+2 >= len(t) {
				return ErrTarget
			}
			if _, ok := hexValue(t[i+1]); !ok {
				return ErrTarget
			}
			if _, ok := hexValue(t[i+2]); !ok {
				return ErrTarget
			}
			i += 2
		case !isPathChar[c]:
			return ErrTarget
		}
	}
	r.path = span{int32(from), int32(i)}
	if i == len(t) {
		r.query = span{int32(i), int32(i)}
		return nil
	}
	for j := i + 1; j < len(t); j++ {
		if !isQueryChar(t[j]) {
			return ErrTarget
		}
	}
	r.query = span{int32(i + 1), int32(len(t))}
	return nil
}

// validAuthority accepts host[:port] where host is a non-empty DNS name or
// IPv4 address, or, if ipLiteral, a bracketed IPv6 address; port is digits.
// Stricter than RFC 3986 reg-name on purpose: no userinfo, %-escapes or
// sub-delims in a name we may compare against an allow-list.
func validAuthority(a []byte, ipLiteral bool) bool {
	if len(a) > 0 && a[0] == '[' {
		return validIPLiteral(a, ipLiteral)
	}
	// A name or IPv4 address, then an optional ':' and digits: one pass
	// (a Host field is checked on every request), the same answers as
	// splitting at the last ':' (a second ':' is no digit).
	i := 0
	for i < len(a) && isHostChar[a[i]] {
		i++
	}
	switch {
	case i == 0:
		return false
	case i == len(a):
		return true
	case a[i] != ':':
		return false
	}
	for _, c := range a[i+1:] {
		if !isDigit(c) {
			return false
		}
	}
	return true
}

// validIPLiteral is validAuthority for an a starting with '['.
func validIPLiteral(a []byte, ipLiteral bool) bool {
	host := a
	if i := bytes.LastIndexByte(a, ':'); i >= 0 && i > bytes.LastIndexByte(a, ']') {
		host = a[:i]
		for _, c := range a[i+1:] {
			if !isDigit(c) {
				return false
			}
		}
	}
	if !ipLiteral || len(host) < 3 || host[len(host)-1] != ']' {
		return false
	}
	for _, c := range host[1 : len(host)-1] {
		if _, ok := hexValue(c); !ok && c != ':' && c != '.' {
			return false
		}
	}
	return true
}
