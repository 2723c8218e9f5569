package http1

import (
	"encoding/binary"
	"math"
	"math/bits"
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
// scanHead has checked that every line ends in CRLF.
func (r *Request) parseFields(head []byte, maxBody int) error {
	pos := len(r.head)
	r.head = append(r.head, head[pos:]...)
	_, err := r.fieldLines(r.head, pos, maxBody)
	return err
}

// fieldLines parses the field lines of h from h[pos] to the blank line,
// indexes them and decides the body framing; it returns the length of the
// head (just past the blank line). One pass: each field's value runs to its
// first control byte, which must be the CR of a CRLF, so no line is searched
// for twice. end == 0 with no error means h ended first (wholeHead only:
// parseFields hands it a whole head). Spans are offsets in h, which is the
// head or the buffer the head is copied from.
//
// Hand-written for the hot path (every request's head goes through here):
// a name the parser reads is recognized from its first bytes (knownName),
// any other is checked 8 bytes per step (otherName); the value is scanned
// inline, 8 bytes per step, after its leading whitespace. Anything out of
// the ordinary (a byte the fast steps do not pass, the last bytes of h)
// goes to fieldName and fieldValueEnd, which decide exactly as before.
func (r *Request) fieldLines(h []byte, pos, maxBody int) (end int, err error) {
	var ff framingFields
	for {
		if pos+1 >= len(h) {
			return 0, nil
		}
		if h[pos] == '\r' && h[pos+1] == '\n' {
			return pos + 2, r.decideFraming(&ff, maxBody)
		}
		// The name: one the parser reads, recognized from its first bytes,
		// or else letters and '-' 8 at a time, then token bytes one by one
		// up to the colon.
		kind, colon := knownName(h, pos)
		if kind == kindOther {
			if colon, err = otherName(h, pos); err != nil {
				return 0, err
			}
		}
		i := colon
		// The value: its leading SP and HTAB (valid value bytes, not part
		// of it), then words of plain ASCII (0x20-0x7E: no byte flagged
		// by x-0x20 or x+1, carries and borrows running only upwards, so
		// the lowest flagged byte is the first one outside) up to its CR.
		// Indexed by i, not by a sub-slice: the slice's three words stay
		// live in registers and the loop spilled (190 instructions a
		// request more).
		i++
		if i < len(h) && h[i] == ' ' { // the usual single SP, then any more OWS
			i++
		}
		for i < len(h) && (h[i] == ' ' || h[i] == '\t') {
			i++
		}
		vOff := i
		cr := -1
		for i <= len(h)-8 {
			x := binary.LittleEndian.Uint64(h[i:])
			m := ((x - spaces) | (x + ones)) & highs
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) >> 3
			c := h[i]
			if c == '\t' || c >= 0x80 { // HTAB, obs-text: valid, the words go on after it
				i++
				continue
			}
			if c == '\r' && i+1 < len(h) && h[i+1] == '\n' {
				cr = i
			}
			break
		}
		if cr < 0 {
			if cr, err = fieldValueEnd(h, i); err != nil {
				return 0, err
			}
		}
		if len(r.fields) == MaxHeaderFields {
			return 0, ErrTooManyFields
		}
		vEnd := cr
		for vEnd > vOff && (h[vEnd-1] == ' ' || h[vEnd-1] == '\t') {
			vEnd--
		}
		r.fields = append(r.fields, field{
			name:  span{int32(pos), int32(colon)},
			value: span{int32(vOff), int32(vEnd)},
		})
		if kind != kindOther {
			// Indexed (see Request.known), unless one came before it.
			if f := indexOf[kind]; f != noIndex && r.known[f] == 0 {
				r.known[f] = uint8(len(r.fields)) // MaxHeaderFields < 256
			}
			if kind <= kindTransferEncoding {
				if err := noteFraming(&ff, kind, h[vOff:vEnd], maxBody); err != nil {
					return 0, err
				}
			}
		}
		pos = cr + 2
	}
}

// otherName checks the name of the field line at h[pos], one knownName
// did not recognize, and returns the index of its colon: letters and '-' 8
// at a time, then token bytes one by one; fieldName gives the refusal.
func otherName(h []byte, pos int) (int, error) {
	i := pos
	for i <= len(h)-8 {
		m := lettersOrDash(binary.LittleEndian.Uint64(h[i:]))
		if m != highs {
			i += bits.TrailingZeros64(^m&highs) >> 3
			break
		}
		i += 8
	}
	for i < len(h) && isTokenChar[h[i]] {
		i++
	}
	if i == pos || i == len(h) || h[i] != ':' {
		return fieldName(h, pos) // the exact refusal
	}
	return i, nil
}

// fieldName checks the field name of the line starting at h[pos] and
// returns the index of its colon (RFC 9112 §5.1, RFC 9110 §5.5). A name
// without a colon stops at the CR (or at the end of h).
func fieldName(h []byte, pos int) (int, error) {
	i := pos
	// Names are mostly letters and '-': 8 of those per step, then the
	// byte loop from the first other byte.
	for i+8 <= len(h) {
		m := lettersOrDash(binary.LittleEndian.Uint64(h[i:]))
		if m != 0x8080808080808080 {
			i += bits.TrailingZeros64(^m&0x8080808080808080) >> 3
			break
		}
		i += 8
	}
	for i < len(h) && isTokenChar[h[i]] { // ':' is not a token byte
		i++
	}
	switch {
	case i == len(h):
		return 0, ErrFieldName
	case h[i] == ':' && i > pos:
		return i, nil
	case i == pos && (h[i] == ' ' || h[i] == '\t'):
		return 0, ErrObsFold
	case h[i] == ' ':
		return 0, ErrFieldNameWhitespace
	}
	return 0, ErrFieldName
}

// fieldValueEnd checks the field value starting at h[from] and returns the
// index of the CR of its line's CRLF. Values are mostly plain ASCII, checked
// 8 bytes per step; the lowest byte the step flags is the first control byte
// or DEL (the flags' borrows run only upwards), so no byte is looked at
// twice. A tab (allowed) resumes the steps after it.
func fieldValueEnd(h []byte, from int) (int, error) {
	const highs = 0x8080808080808080
	i := from
	for i+8 <= len(h) {
		m := ctlOrDel(binary.LittleEndian.Uint64(h[i:])) & highs
		if m == 0 {
			i += 8
			continue
		}
		i += bits.TrailingZeros64(m) >> 3
		switch h[i] {
		case '\t':
			i++
		case '\r':
			if i+1 < len(h) && h[i+1] == '\n' {
				return i, nil
			}
			return 0, ErrFieldValue
		default:
			return 0, ErrFieldValue
		}
	}
	// The last few bytes of the head (the head ends in CRLF CRLF, so a
	// field line's CR comes before them; kept for safety).
	for ; i < len(h); i++ {
		if c := h[i]; !isValueByte[c] {
			if c == '\r' && i+1 < len(h) && h[i+1] == '\n' {
				return i, nil
			}
			return 0, ErrFieldValue
		}
	}
	return 0, ErrFieldValue
}

// lettersOrDash flags (bit 7 of each byte, exactly) the bytes of w that are
// ASCII letters or '-', with no carry between bytes: an ASCII byte ORed
// with 0x20 is a lower-case letter iff it lies in 0x61..0x7a, and '-' is
// found by the exact per-byte zero test on w XOR '-'.
func lettersOrDash(w uint64) uint64 {
	const ones, highs, low7 = 0x0101010101010101, 0x8080808080808080, 0x7f7f7f7f7f7f7f7f
	ascii := ^w & highs
	y := (w | ones*0x20) & low7
	letter := (y + ones*(0x80-0x61)) &^ (y + ones*(0x80-0x7b))
	d := w ^ (ones * '-')
	dash := ^((d&low7 + low7) | d) // bit 7 set where d's byte is 0
	return (letter | dash) & ascii
}

// ctlOrDel flags (bit 7 of each byte) the bytes packed in w that are below
// 0x20 or are DEL (0x7f): the bytes a field value may not hold, except
// HTAB, and the CR that ends it. These are the classic "byte below n" and
// "zero byte" tests: the lowest flagged byte is exact; bytes above it may be
// flagged falsely by a borrow.
func ctlOrDel(w uint64) uint64 {
	const ones = 0x0101010101010101
	del := w ^ (ones * 0x7f)
	return (w-ones*0x20)&^w | (del-ones)&^del
}

// checkFieldLine checks "name: value" (without CRLF) and returns the index
// of the colon (RFC 9112 §5.1, RFC 9110 §5.5). Trailer fields use it.
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

// fold32 is the 4 bytes of b at off as a little-endian word, each ORed
// with 0x20 (see knownName).
func fold32(b []byte, off int) uint32 {
	return binary.LittleEndian.Uint32(b[off:]) | 0x20202020
}

// fold64 is the 8 bytes of b at off as a little-endian word, each ORed
// with 0x20 (see knownName).
func fold64(b []byte, off int) uint64 {
	return binary.LittleEndian.Uint64(b[off:]) | 0x2020202020202020
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

// le64 is the first 8 bytes of s as a little-endian word (binary's
// LittleEndian.Uint64 for a string; the compiler merges the loads).
func le64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// le32 is the first 4 bytes of s as a little-endian word.
func le32(s string) uint32 {
	_ = s[3]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}
