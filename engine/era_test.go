package engine

import (
	"testing"

	"github.com/densemcp/densemcp/codec"
)

// A request carrying a session id is modern only when its _meta names the
// modern protocol version, however the key is escaped; the fast reject on
// the raw bytes must not miss an escaped key.
func TestIsModernRequestWithSession(t *testing.T) {
	f := func(params string, want bool) {
		t.Helper()
		m := &codec.Message{Kind: codec.KindRequest, Params: []byte(params)}
		if got := isModernRequest(nil, []byte("sid"), m); got != want {
			t.Fatalf("isModernRequest(%s) = %v, want %v", params, got, want)
		}
	}
	f(`{"name":"echo","arguments":{"text":"hi"}}`, false)
	f(`{"name":"echo","_meta":{"progressToken":1}}`, false)
	f(`{"name":"echo","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}`, true)
	f(`{"name":"echo","_meta":{"io.modelcontextprotocol\/protocolVersion":"2026-07-28"}}`, true)
	f(`{"name":"echo","_meta":{"io.modelcontextprotocol\u002fprotocolVersion":"2026-07-28"}}`, true)
	// The key's text elsewhere than in _meta does not make it modern.
	f(`{"name":"echo","arguments":{"io.modelcontextprotocol/protocolVersion":"x"}}`, false)
}
