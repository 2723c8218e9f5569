package router

import (
	"testing"

	"github.com/densemcp/densemcp/shards"
)

type nopOut struct{}

func (nopOut) Send(MsgKind, []byte, []byte) {}

// A legacy session's durable state survives AppendState and RestoreSession
// (another server's), and malformed state is refused.
func TestSessionStateRoundTrip(t *testing.T) {
	r := New(Implementation{Name: "t", Version: "1"}, Options{})
	sh := r.NewShard(shards.NewInbox(4))
	s := &Session{era: EraLegacy, version: "2025-06-18", initAnswer: true, initialized: true,
		clientCaps: []byte(`{"roots":{}}`), clientInfo: []byte(`{"name":"c","version":"1"}`),
		resourceSubs: map[string]struct{}{"file:///b": {}, "file:///a": {}}}
	s.logLevel.Store(int32(LevelWarning))
	state := s.AppendState(nil)
	want := `{"v":"2025-06-18","c":{"roots":{}},"i":{"name":"c","version":"1"},"n":true,"l":3,"s":["file:///a","file:///b"]}`
	if string(state) != want {
		t.Fatalf("state %s\nwant  %s", state, want)
	}
	got, err := r.RestoreSession(sh, nopOut{}, state)
	if err != nil {
		t.Fatal(err)
	}
	if got.Era() != EraLegacy || got.Version() != "2025-06-18" || !got.initialized || !got.Durable() ||
		string(got.clientCaps) != `{"roots":{}}` || LogLevel(got.logLevel.Load()) != LevelWarning || len(got.resourceSubs) != 2 {
		t.Fatalf("restored %+v", got)
	}
	if sh.Members() != 1 {
		t.Fatal("a restored session hears its shard's changes")
	}
	if again := got.AppendState(nil); string(again) != want {
		t.Fatalf("state after restore %s", again)
	}
	for _, bad := range []string{``, `[]`, `{"v":1}`, `{"c":{}}`, `{"v":"2025-06-18","l":99}`, `{"v":"2025-06-18","s":[1]}`, `{"v":"2025-06-18"`} {
		if _, err := r.RestoreSession(sh, nopOut{}, []byte(bad)); err == nil {
			t.Fatalf("%q restored", bad)
		}
	}
}
