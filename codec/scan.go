package codec

import (
	"math/bits"
	"strconv"
	"sync"
	"unicode/utf8"
)

// Why a hand-written scanner instead of sonic for the envelope: sonic accepts
// invalid UTF-8 and control characters in strings, lets duplicate keys through
// (its Searcher keeps the first, its Unmarshal the last) and folds key case by
// default. A router that reads "method" one way
// and a handler that reads it another is an authorization bug, so every byte
// of a message passes this one strict validator first; it records the
// envelope's spans in the same pass, so strictness costs no second pass.

// MaxDepth is the deepest nesting of objects and arrays a message may have
// (the envelope object itself is depth 1). The scanner recurses once per
// level, so this bounds its stack; no MCP message comes near it.
const MaxDepth = 128

// Scratch kept between messages is capped so that one huge message does not
// pin its scratch memory to a long-lived Decoder.
const (
	maxRetainedKeys  = 1024
	maxRetainedArena = 64 << 10
)

// Parse-error messages (Error.Message with CodeParseError).
const (
	msgUnexpectedEnd = "parse error: unexpected end of input"
	msgInvalidChar   = "parse error: invalid character"
	msgInvalidNumber = "parse error: invalid number"
	msgInvalidEscape = "parse error: invalid escape sequence in string"
	msgInvalidUTF8   = "parse error: invalid UTF-8 in string"
	msgControlChar   = "parse error: control character in string"
	msgNULKey        = "parse error: NUL character in object key"
	msgDuplicateKey  = "parse error: duplicate object key"
	msgTrailingData  = "parse error: data after the JSON value"
)

// msgTooDeep names the limit, so it is built from MaxDepth.
var msgTooDeep = "parse error: nesting deeper than " + strconv.Itoa(MaxDepth) + " levels"

// scanner validates one JSON text per RFC 8259 and the stricter rules of
// I-JSON (RFC 7493): UTF-8 only, no lone surrogates, unique keys. It also
// rejects NUL in keys and nesting beyond MaxDepth.
type scanner struct {
	data  []byte
	pos   int
	depth int
	err   string   // message of the first failure
	keys  []keyRef // keys of the open objects, innermost last
	arena []byte   // unescaped keys of the open objects that had escapes
	env   envelope // members of the top-level object, when recording
	idx   *Index   // where params, _meta and arguments are recorded; nil: nowhere
}

// reset prepares s for data.
func (s *scanner) reset(data []byte) {
	s.data, s.pos, s.depth, s.err = data, 0, 0, ""
	s.keys, s.arena = s.keys[:0], s.arena[:0]
	s.env = envelope{}
	s.idx = nil
}

// release drops the references to the input and oversized scratch.
func (s *scanner) release() {
	s.data = nil
	s.env = envelope{}
	if cap(s.keys) > maxRetainedKeys {
		s.keys = nil
	}
	if cap(s.arena) > maxRetainedArena {
		s.arena = nil
	}
}

// fail records msg and returns false so that callers can write
// `return s.fail(msg)`.
func (s *scanner) fail(msg string) bool {
	s.err = msg
	return false
}

// text scans one JSON text: optional whitespace, a value, optional
// whitespace, end. With record set, a top-level object's envelope members are
// recorded in s.env.
func (s *scanner) text(record bool) bool {
	s.skipSpace()
	if s.pos >= len(s.data) {
		return s.fail(msgUnexpectedEnd)
	}
	var ok bool
	if record && s.data[s.pos] == '{' {
		ok = s.object(recTop)
	} else {
		ok = s.value()
	}
	if !ok {
		return false
	}
	s.skipSpace()
	if s.pos != len(s.data) {
		return s.fail(msgTrailingData)
	}
	return true
}

func (s *scanner) skipSpace() { s.pos = skipWS(s.data, s.pos) }

func (s *scanner) value() bool {
	if s.pos >= len(s.data) {
		return s.fail(msgUnexpectedEnd)
	}
	switch c := s.data[s.pos]; c {
	case '"':
		_, ok := s.str()
		return ok
	case '{':
		return s.object(recNone)
	case '[':
		return s.array()
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	default:
		if c == '-' || '0' <= c && c <= '9' {
			return s.number()
		}
		return s.fail(msgInvalidChar)
	}
}

func (s *scanner) literal(lit string) bool {
	rest := s.data[s.pos:]
	if len(rest) < len(lit) {
		if string(rest) == lit[:len(rest)] {
			return s.fail(msgUnexpectedEnd)
		}
		return s.fail(msgInvalidChar)
	}
	if string(rest[:len(lit)]) != lit {
		return s.fail(msgInvalidChar)
	}
	s.pos += len(lit)
	return true
}

// number scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? and leaves the
// check that a delimiter follows to the caller ("01" fails there).
func (s *scanner) number() bool {
	b, i := s.data, s.pos
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i = skipDigits(b, i+1)
	default:
		return s.fail(msgInvalidNumber)
	}
	if i < len(b) && b[i] == '.' {
		j := skipDigits(b, i+1)
		if j == i+1 {
			return s.fail(msgInvalidNumber)
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := skipDigits(b, i)
		if j == i {
			return s.fail(msgInvalidNumber)
		}
		i = j
	}
	s.pos = i
	return true
}

func skipDigits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

// str scans the string at s.pos and reports whether it contained escapes
// (then its unescaped form differs from its raw contents).
func (s *scanner) str() (escaped, ok bool) {
	b := s.data
	i := s.pos + 1
	for {
		// 8 bytes per step; the lowest byte a step flags is the first
		// special one (see specialBytes), so it is jumped to directly.
		for i+8 <= len(b) {
			if m := specialBytes(word(b2s(b), i)); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				goto special
			}
			i += 8
		}
		for i < len(b) && plainStringByte[b[i]] {
			i++
		}
	special:
		if i >= len(b) {
			return false, s.fail(msgUnexpectedEnd)
		}
		switch c := b[i]; {
		case c == '"':
			s.pos = i + 1
			return escaped, true
		case c == '\\':
			_, n := decodeEscape(b[i:])
			if n == 0 {
				return false, s.fail(msgInvalidEscape)
			}
			escaped = true
			i += n
		case c < 0x20:
			return false, s.fail(msgControlChar)
		default:
			// Non-ASCII text tends to come in runs (CJK, accented
			// words): stay here until the run ends.
			for i < len(b) && b[i] >= utf8.RuneSelf {
				r, size := utf8.DecodeRune(b[i:])
				if r == utf8.RuneError && size == 1 {
					return false, s.fail(msgInvalidUTF8)
				}
				i += size
			}
		}
	}
}

// hasSpecialByte reports whether any of the 8 bytes packed in w is not a
// plain string byte: a control character, '"', '\\' or a byte of a non-ASCII
// UTF-8 sequence. Text in tool arguments is mostly plain ASCII; skipping it 8
// bytes per step made ASCII validation 2.5x faster (BenchmarkValid).
func hasSpecialByte(w uint64) bool { return specialBytes(w) != 0 }

// specialBytes flags (bit 7 of each byte) the bytes of w that hasSpecialByte
// looks for. Each term is the classic exact "some byte is below n" test,
// (x - n*ones) &^ x & highs: its lowest flagged byte is a true one and a
// borrow can only flag bytes above it, so the lowest flagged byte of the
// result is the first special byte. It runs for every 8 bytes of every
// string of every message, hence the hand-reduced form below.
func specialBytes(w uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	quote := w ^ (ones * '"')
	backslash := w ^ (ones * '\\')
	// The exact test would clear, in each term, the bytes whose own high bit
	// is set (&^ quote, &^ backslash, &^ w). XOR with an ASCII constant keeps
	// a byte's high bit, so all three masks are w's high bits, and OR-ing w
	// in flags exactly those bytes anyway: the masks change nothing and are
	// left out (4 instructions of each 8-byte step).
	return ((w - ones*0x20) | (quote - ones) | (backslash - ones) | w) & highs
}

func (s *scanner) array() bool {
	if s.depth++; s.depth > MaxDepth {
		return s.fail(msgTooDeep)
	}
	s.pos++ // '['
	s.skipSpace()
	if s.pos < len(s.data) && s.data[s.pos] == ']' {
		s.pos++
		s.depth--
		return true
	}
	for {
		if !s.value() {
			return false
		}
		s.skipSpace()
		if s.pos >= len(s.data) {
			return s.fail(msgUnexpectedEnd)
		}
		switch s.data[s.pos] {
		case ',':
			s.pos++
			s.skipSpace()
		case ']':
			s.pos++
			s.depth--
			return true
		default:
			return s.fail(msgInvalidChar)
		}
	}
}

// object scans an object, rejecting duplicate keys. mode says what to
// record: recTop the envelope members (the top-level object of a message),
// recParams, recMeta and recArgs the members of params, params._meta and
// params.arguments into s.idx (see Index); recNone nothing.
func (s *scanner) object(mode recMode) bool {
	if s.depth++; s.depth > MaxDepth {
		return s.fail(msgTooDeep)
	}
	if mode > recTop {
		s.idx.begin(mode, s.pos)
	}
	// The position lives in i while this object's own tokens are read, and
	// in s.pos only across the calls that read a key or a value.
	b := s.data
	i := skipWS(b, s.pos+1) // past '{'
	if i < len(b) && b[i] == '}' {
		s.pos = i + 1
		s.depth--
		if mode > recTop {
			s.idx.end(mode, s.pos)
		}
		return true
	}
	base, arenaBase := len(s.keys), len(s.arena)
	var seen keySummary
	// This loop runs for every member of every message, so it is written
	// for compact JSON: the byte after a key, a colon or a value is tested
	// for the expected token first, and whitespace is skipped only when it
	// is not one; string values (the commonest) go to str without the
	// detour through value.
	for {
		if i >= len(b) {
			return s.fail(msgUnexpectedEnd)
		}
		if b[i] != '"' {
			return s.fail(msgInvalidChar)
		}
		kstart := i
		s.pos = i
		escaped, ok := s.str()
		if !ok {
			return false
		}
		kend := s.pos
		// The key (written out here: each call costs this loop the
		// spills of its many live values) and its bytes, sliced once
		// for the uses below. An arena key stays put while its member is
		// scanned: nested objects append after it, and a grown arena
		// leaves the old array as it was.
		k := keyRef{off: kstart + 1, end: kend - 1}
		kb := b[kstart+1 : kend-1]
		if escaped {
			if k, ok = s.unescapeKey(k); !ok {
				return false
			}
			kb = s.arena[k.off:k.end]
		}
		// addKey's common case, written out for the same reason.
		if len(s.keys)-base < smallObjectKeys {
			bit := keyBit(kb)
			if seen&bit != 0 && s.hasKey(base, kb) {
				return s.fail(msgDuplicateKey)
			}
			seen |= bit
		}
		s.keys = append(s.keys, k)
		if i = kend; i >= len(b) || b[i] != ':' {
			if i = skipWS(b, i); i >= len(b) {
				return s.fail(msgUnexpectedEnd)
			}
			if b[i] != ':' {
				return s.fail(msgInvalidChar)
			}
		}
		if i++; i < len(b) && b[i] <= ' ' {
			i = skipWS(b, i)
		}
		start := i
		s.pos = i
		switch {
		case i < len(b) && b[i] == '"':
			_, ok = s.str()
		case mode != recNone && i < len(b) && b[i] == '{' && s.idx != nil:
			if child := childMode(mode, kb); child != recNone {
				ok = s.object(child)
			} else {
				ok = s.value()
			}
		default:
			ok = s.value()
		}
		if !ok {
			return false
		}
		i = s.pos
		switch {
		case mode == recTop:
			s.env.set(kb, b[start:i])
		case mode > recTop:
			s.idx.add(mode, kstart, kend, start, i, k.inArena)
		}
		if i >= len(b) || b[i] != ',' && b[i] != '}' {
			if i = skipWS(b, i); i >= len(b) {
				return s.fail(msgUnexpectedEnd)
			}
		}
		if b[i] == '}' {
			i++
			break
		}
		if b[i] != ',' {
			return s.fail(msgInvalidChar)
		}
		if i++; i < len(b) && b[i] != '"' {
			i = skipWS(b, i)
		}
	}
	s.pos = i
	if len(s.keys)-base > smallObjectKeys && s.hasDuplicateSorted(base) {
		return s.fail(msgDuplicateKey)
	}
	s.keys, s.arena = s.keys[:base], s.arena[:arenaBase]
	s.depth--
	if mode > recTop {
		s.idx.end(mode, i)
	}
	return true
}

// skipWS returns the index of the first byte at or after i of b that is not
// JSON whitespace. Messages are mostly compact: the first byte looked at is
// usually a token, and any byte above ' ' is one.
func skipWS(b []byte, i int) int {
	for i < len(b) {
		if c := b[i]; c > ' ' || c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return i
		}
		i++
	}
	return i
}

// childMode says what to record of the object at s.pos, member kb of an
// object recorded as mode (not recNone): params of the message, and _meta
// and arguments of params.
func childMode(mode recMode, kb []byte) recMode {
	switch mode {
	case recTop:
		if string(kb) == "params" {
			return recParams
		}
	case recParams:
		switch string(kb) {
		case "_meta":
			return recMeta
		case "arguments":
			return recArgs
		}
	}
	return recNone
}

// scanners serves Valid, which has no Decoder to keep scratch in.
var scanners = sync.Pool{New: func() any { return new(scanner) }}

// Valid reports whether b is exactly one strict JSON text: RFC 8259 syntax,
// valid UTF-8 with no lone surrogate escapes, no control characters in
// strings, no NUL in keys, no duplicate keys at any depth (compared after
// unescaping), nesting at most MaxDepth. It returns nil or an *Error with
// CodeParseError.
func Valid(b []byte) error {
	s := scanners.Get().(*scanner)
	s.reset(b)
	ok := s.text(false)
	msg := s.err
	s.release()
	scanners.Put(s)
	if !ok {
		return &Error{Code: CodeParseError, Message: msg}
	}
	return nil
}
