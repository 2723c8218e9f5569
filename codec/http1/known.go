package http1

import "encoding/binary"

// fieldKind is what a field line's name is to the parser: one of the
// fields it reads for framing (kindHost … kindTransferEncoding, Host also
// indexed), one it only indexes, or any other (kindOther).
type fieldKind uint8

const (
	kindOther fieldKind = iota
	kindHost
	kindExpect
	kindTrailer
	kindConnection
	kindContentLength
	kindTransferEncoding // the last of the framing fields
	kindAccept
	kindOrigin
	kindMcpName
	kindMcpMethod
	kindContentType
	kindAuthorization
	kindLastEventID
	kindMcpSessionID
	kindMcpProtocolVersion
)

// indexOf is the KnownField a kind is indexed as, or noIndex.
var indexOf = [...]KnownField{
	kindOther: noIndex, kindHost: FieldHost, kindExpect: noIndex, kindTrailer: noIndex,
	kindConnection: noIndex, kindContentLength: noIndex, kindTransferEncoding: noIndex,
	kindAccept: FieldAccept, kindOrigin: FieldOrigin, kindMcpName: FieldMcpName,
	kindMcpMethod: FieldMcpMethod, kindContentType: FieldContentType,
	kindAuthorization: FieldAuthorization, kindLastEventID: FieldLastEventID,
	kindMcpSessionID: FieldMcpSessionID, kindMcpProtocolVersion: FieldMcpProtocolVersion,
}

const noIndex = numKnown

// The first four bytes of the names knownName recognizes, lower-case, as
// little-endian words: constants, so that its switch is a binary search
// (TestKnownNameWords checks them against le32).
const (
	w4Host = 0x74736f68 // "host"
	w4Acce = 0x65636361 // "acce"
	w4Expe = 0x65707865 // "expe"
	w4Orig = 0x6769726f // "orig"
	w4Trai = 0x69617274 // "trai"
	w4Conn = 0x6e6e6f63 // "conn"
	w4Auth = 0x68747561 // "auth"
	w4Last = 0x7473616c // "last"
	w4Tran = 0x6e617274 // "tran"
	w4Cont = 0x746e6f63 // "cont"
	w4Mcp  = 0x2d70636d // "mcp-"
	w4Name = 0x656d616e // "name"
	w4Meth = 0x6874656d // "meth"
	w4Sess = 0x73736573 // "sess"
	w4Prot = 0x746f7270 // "prot"
)

// knownName reports which of the fields the parser reads the line at h[pos]
// names, ignoring ASCII case, and the index of its colon; kindOther when the
// name is none of them or is not followed by a colon at once (fieldLines
// then checks the name byte by byte).
//
// Hand-written for the hot path: nearly every field of an MCP request is
// one of these, and recognizing it from its first bytes spares both the
// name's byte checks (a known name is a valid token) and a later match of
// the name. A name is read in words that do not overlap (overlapping reads
// would share byte loads, and the compiler then no longer merges a word's
// bytes into one load), each byte ORed with 0x20 and the word compared
// with a word of the lower-case constant, which the compiler folds. A byte
// ORed with 0x20 equals a lower-case letter only when it is that letter in
// either case, but equals '-' when it is '-' or CR, so the bytes that must
// be '-' are left out of the fold (noFold masks) and compared exactly. Each
// length check comes first, so the compiler drops the bounds checks after
// it.
func knownName(h []byte, pos int) (fieldKind, int) {
	if pos < 0 || pos > len(h) {
		return kindOther, 0
	}
	n := h[pos:]
	if len(n) < len("host:") {
		return kindOther, 0
	}
	w := binary.LittleEndian.Uint32(n)
	switch w | 0x20202020 {
	case w4Host:
		if n[4] == ':' {
			return kindHost, pos + 4
		}
	case w4Acce:
		if len(n) > 6 && n[6] == ':' && fold16(n, 4) == le16("pt") {
			return kindAccept, pos + 6
		}
	case w4Expe:
		if len(n) > 6 && n[6] == ':' && fold16(n, 4) == le16("ct") {
			return kindExpect, pos + 6
		}
	case w4Orig:
		if len(n) > 6 && n[6] == ':' && fold16(n, 4) == le16("in") {
			return kindOrigin, pos + 6
		}
	case w4Trai:
		if len(n) > 7 && n[7] == ':' && fold16(n, 4) == le16("le") && n[6]|0x20 == 'r' {
			return kindTrailer, pos + 7
		}
	case w4Conn:
		if len(n) > 10 && n[10] == ':' && fold32(n, 4) == le32("ecti") && fold16(n, 8) == le16("on") {
			return kindConnection, pos + 10
		}
	case w4Auth:
		if len(n) > 13 && n[13] == ':' && fold64(n, 4) == le64("orizatio") && n[12]|0x20 == 'n' {
			return kindAuthorization, pos + 13
		}
	case w4Last:
		if len(n) > 13 && n[13] == ':' && foldExcept64(n, 4, noFold64(0)&noFold64(6)) == le64("-event-i") &&
			n[12]|0x20 == 'd' {
			return kindLastEventID, pos + 13
		}
	case w4Tran:
		if len(n) > 17 && n[17] == ':' && foldExcept64(n, 4, noFold64(4)) == le64("sfer-enc") &&
			fold32(n, 12) == le32("odin") && n[16]|0x20 == 'g' {
			return kindTransferEncoding, pos + 17
		}
	case w4Cont:
		if len(n) <= 12 || foldExcept32(n, 4, noFold32(3)) != le32("ent-") {
			break
		}
		if n[12] == ':' && fold32(n, 8) == le32("type") {
			return kindContentType, pos + 12
		}
		if len(n) > 14 && n[14] == ':' && fold32(n, 8) == le32("leng") && fold16(n, 12) == le16("th") {
			return kindContentLength, pos + 14
		}
	case w4Mcp:
		if len(n) <= 8 || w|noFold32(3) != le32("mcp-") {
			break
		}
		switch fold32(n, 4) {
		case w4Name:
			if n[8] == ':' {
				return kindMcpName, pos + 8
			}
		case w4Meth:
			if len(n) > 10 && n[10] == ':' && fold16(n, 8) == le16("od") {
				return kindMcpMethod, pos + 10
			}
		case w4Sess:
			if len(n) > 14 && n[14] == ':' && foldExcept32(n, 8, noFold32(3)) == le32("ion-") &&
				fold16(n, 12) == le16("id") {
				return kindMcpSessionID, pos + 14
			}
		case w4Prot:
			if len(n) > 20 && n[20] == ':' && fold32(n, 8) == le32("ocol") &&
				foldExcept64(n, 12, noFold64(0)) == le64("-version") {
				return kindMcpProtocolVersion, pos + 20
			}
		}
	}
	return kindOther, 0
}

// noFold32 and noFold64 are the fold masks of a word without byte i's bit:
// that byte is compared exactly.
func noFold32(i uint) uint32 { return 0x20202020 &^ (0x20 << (8 * i)) }
func noFold64(i uint) uint64 { return 0x2020202020202020 &^ (0x20 << (8 * i)) }

// foldExcept32 and foldExcept64 are fold32 and fold64 with the given mask.
func foldExcept32(b []byte, off int, mask uint32) uint32 {
	return binary.LittleEndian.Uint32(b[off:]) | mask
}
func foldExcept64(b []byte, off int, mask uint64) uint64 {
	return binary.LittleEndian.Uint64(b[off:]) | mask
}

// fold16 is the 2 bytes of b at off as a little-endian word, each ORed
// with 0x20.
func fold16(b []byte, off int) uint16 { return binary.LittleEndian.Uint16(b[off:]) | 0x2020 }

// le16 is the first 2 bytes of s as a little-endian word.
func le16(s string) uint16 { return uint16(s[0]) | uint16(s[1])<<8 }

// noteFraming records what a framing field (kindHost … kindTransferEncoding)
// says about the body and the connection.
func noteFraming(ff *framingFields, kind fieldKind, value []byte, maxBody int) error {
	switch kind {
	case kindHost:
		if ff.hosts++; ff.hosts > 1 {
			return ErrDuplicateHost
		}
		if len(value) > 0 && !validAuthority(value, true) {
			return ErrInvalidHost
		}
	case kindExpect:
		if hasElement(value, "100-continue") {
			ff.expect = true
		}
	case kindTrailer:
		if hasElement(value, "content-length") || hasElement(value, "transfer-encoding") ||
			hasElement(value, "trailer") {
			return ErrTrailerDeclaration
		}
	case kindConnection:
		ff.close = ff.close || hasElement(value, "close")
		ff.keepAlive = ff.keepAlive || hasElement(value, "keep-alive")
	case kindContentLength:
		if ff.lengths++; ff.lengths > 1 {
			return ErrDuplicateContentLength
		}
		return ff.noteContentLength(value, maxBody)
	case kindTransferEncoding:
		ff.encodings++
		ff.chunked = ff.encodings == 1 && equalFold(value, "chunked")
	}
	return nil
}
