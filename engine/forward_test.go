package engine

import (
	"bytes"
	"testing"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/router"
)

// A forwarded request decodes to what was encoded, principal included, and
// every truncation of it is refused, never a panic.
func TestForwardRequestRoundTrip(t *testing.T) {
	m := &codec.Message{Kind: codec.KindRequest, ID: []byte(`7`), Method: []byte("tools/call"), Params: []byte(`{"name":"echo"}`)}
	p := &router.Principal{Subject: "ada", Issuer: "https://as", Scopes: []string{"mcp"}}
	op := sessionOp{kind: opPost, sse: true, closeConn: true, principal: p}
	b := appendForwardRequest(nil, []byte("n1.abc"), m, op)
	sid, got, gop, err := decodeForwardRequest(b)
	if err != nil {
		t.Fatal(err)
	}
	if string(sid) != "n1.abc" || got.Kind != m.Kind || !bytes.Equal(got.ID, m.ID) || !bytes.Equal(got.Method, m.Method) || !bytes.Equal(got.Params, m.Params) {
		t.Fatalf("decoded %q %+v", sid, got)
	}
	if gop.kind != opPost || !gop.sse || !gop.closeConn || !gop.principal.SameSubject(p) || len(gop.principal.Scopes) != 1 {
		t.Fatalf("op %+v", gop)
	}
	for i := range b {
		if _, _, _, err := decodeForwardRequest(b[:i]); err == nil {
			t.Fatalf("truncated to %d bytes: accepted", i)
		}
	}
	// GET: no message, Last-Event-ID kept.
	b = appendForwardRequest(nil, []byte("n1.abc"), nil, sessionOp{kind: opStream, lastEvent: []byte("s1-4")})
	if _, got, gop, err = decodeForwardRequest(b); err != nil || got != nil || string(gop.lastEvent) != "s1-4" || gop.principal != nil {
		t.Fatalf("GET: %v %+v %+v", err, got, gop)
	}
}

func TestSessionStateCarriesOwner(t *testing.T) {
	f := func(state string, want *router.Principal) {
		t.Helper()
		got := ownerOfState([]byte(state))
		if (got == nil) != (want == nil) || (got != nil && !got.SameSubject(want)) {
			t.Fatalf("%s: owner %+v, want %+v", state, got, want)
		}
	}
	f(`{"v":"2025-11-25"}`, nil)
	f(`{"v":"2025-11-25","owner":{"sub":"ada","iss":"https://as"}}`, &router.Principal{Subject: "ada", Issuer: "https://as"})
	f(`{"v":"2025-11-25","owner":{"sub":1}}`, nil)
}

func TestSessionNode(t *testing.T) {
	f := func(sid, want string) {
		t.Helper()
		if got := string(sessionNode([]byte(sid))); got != want {
			t.Fatalf("%s: node %q, want %q", sid, got, want)
		}
	}
	f("0123abcd", "")
	f("n1.0123abcd", "n1")
	f(".0123", "")
}
