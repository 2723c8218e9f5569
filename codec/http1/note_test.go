package http1

import (
	"bytes"
	"strings"
	"testing"
)

// knownName matches field names by words of folded bytes. Every name it knows,
// in any case, is recognized; every name that differs from one of them in
// one byte (any token byte in any place) is not — checked against
// strings.EqualFold on each field's effect: the index Known reads, and for
// the framing fields the framing, keep-alive, Expect or refusal they bring.
func TestNoteNames(t *testing.T) {
	indexed := map[string]KnownField{
		"host": FieldHost, "content-type": FieldContentType, "accept": FieldAccept,
		"origin": FieldOrigin, "authorization": FieldAuthorization, "last-event-id": FieldLastEventID,
		"mcp-session-id": FieldMcpSessionID, "mcp-protocol-version": FieldMcpProtocolVersion,
		"mcp-method": FieldMcpMethod, "mcp-name": FieldMcpName,
	}
	framing := []string{"content-length", "transfer-encoding", "connection", "expect", "trailer"}
	var names []string
	for n := range indexed {
		names = append(names, n)
	}
	names = append(names, framing...)

	var tchars []byte
	for c := 0; c < 256; c++ {
		if isTokenChar[c] {
			tchars = append(tchars, byte(c))
		}
	}
	var p Parser
	var req Request
	check := func(name string) {
		t.Helper()
		// The field's value says something to every framing field; Host
		// comes first (unless the field is Host) so a request is complete.
		host := "Host: h\r\n"
		value := "v"
		switch {
		case strings.EqualFold(name, "host"):
			host, value = "", "h"
		case strings.EqualFold(name, "content-length"):
			value = "5"
		case strings.EqualFold(name, "transfer-encoding"):
			value = "chunked"
		case strings.EqualFold(name, "connection"):
			value = "close"
		case strings.EqualFold(name, "expect"):
			value = "100-continue"
		case strings.EqualFold(name, "trailer"):
			value = "content-length"
		}
		body := "5\r\nhello\r\n0\r\n\r\n"
		in := "POST / HTTP/1.1\r\n" + host + name + ": " + value + "\r\n\r\n" + body
		req.Reset()
		n, err := p.Parse([]byte(in), &req)
		is := func(s string) bool { return strings.EqualFold(name, s) }
		switch {
		case is("trailer"):
			if err != ErrTrailerDeclaration {
				t.Fatalf("%q: %v, want ErrTrailerDeclaration", name, err)
			}
			return
		case is("content-length"):
			if err != nil || n != len(in)-len(body)+5 || string(req.Body()) != "5\r\nhe" {
				t.Fatalf("%q: Parse = %d, %v, body %q: not framed by Content-Length", name, n, err, req.Body())
			}
		case is("transfer-encoding"):
			if err != nil || n != len(in) || string(req.Body()) != "hello" {
				t.Fatalf("%q: Parse = %d, %v, body %q: not chunked", name, n, err, req.Body())
			}
		default:
			if err != nil || n != len(in)-len(body) {
				t.Fatalf("%q: Parse = %d, %v, want a request without a body", name, n, err)
			}
		}
		if req.KeepAlive() == is("connection") {
			t.Fatalf("%q: KeepAlive = %v", name, req.KeepAlive())
		}
		if req.ExpectContinue() != is("expect") {
			t.Fatalf("%q: ExpectContinue = %v", name, req.ExpectContinue())
		}
		for lower, f := range indexed {
			want := is(lower)
			if got := req.Known(f) != nil; got != want && !(f == FieldHost && host != "") {
				t.Fatalf("%q: Known(%q) set = %v, want %v", name, lower, got, want)
			}
		}
	}
	for _, name := range names {
		check(name)
		check(strings.ToUpper(name))
		for i := range name {
			b := []byte(name)
			b[i] ^= 0x20 // one letter's case (or a byte that is no letter)
			if isTokenChar[b[i]] {
				check(string(b))
			}
			for _, c := range tchars {
				b[i] = c
				check(string(b))
			}
		}
	}
}

// knownName's switch keys are the first four bytes of the names as
// little-endian words.
func TestKnownNameWords(t *testing.T) {
	for w, s := range map[uint32]string{
		w4Host: "host", w4Acce: "acce", w4Expe: "expe", w4Orig: "orig", w4Trai: "trai",
		w4Conn: "conn", w4Auth: "auth", w4Last: "last", w4Tran: "tran", w4Cont: "cont",
		w4Mcp: "mcp-", w4Name: "name", w4Meth: "meth", w4Sess: "sess", w4Prot: "prot",
	} {
		if le32(s) != w {
			t.Errorf("the word of %q is %#x, not %#x", s, le32(s), w)
		}
	}
}

// validAuthority gives the answers of its first form, which split at the
// last ':', on authorities built from the bytes that matter.
func TestValidAuthority(t *testing.T) {
	ref := func(a []byte, ipLiteral bool) bool {
		host := a
		if i := bytes.LastIndexByte(a, ':'); i >= 0 && (a[0] != '[' || i > bytes.LastIndexByte(a, ']')) {
			host = a[:i]
			for _, c := range a[i+1:] {
				if !isDigit(c) {
					return false
				}
			}
		}
		if len(host) == 0 {
			return false
		}
		if host[0] == '[' {
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
		for _, c := range host {
			if !isHostChar[c] {
				return false
			}
		}
		return true
	}
	const alphabet = "a1:.[]-_~ /@%"
	var walk func(b []byte)
	walk = func(b []byte) {
		for _, ip := range []bool{false, true} {
			if got, want := validAuthority(b, ip), ref(b, ip); got != want {
				t.Fatalf("validAuthority(%q, %v) = %v, want %v", b, ip, got, want)
			}
		}
		if len(b) == 5 {
			return
		}
		for i := 0; i < len(alphabet); i++ {
			walk(append(b, alphabet[i]))
		}
	}
	walk(nil)
	for _, a := range []string{"localhost:8080", "127.0.0.1:8080", "[::1]:8080", "[::1]", "example.com", "a:b:1"} {
		if got, want := validAuthority([]byte(a), true), ref([]byte(a), true); got != want {
			t.Errorf("validAuthority(%q) = %v, want %v", a, got, want)
		}
	}
}
