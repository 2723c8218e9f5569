package router

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/shards"
)

// stateRouter returns a router with keys and an inline tool that asks the
// client twice, and a function that calls it on a fresh modern session
// with extra params, returning the answer.
func stateRouter(t *testing.T, keys ...[]byte) (*Router, func(extra string) string) {
	t.Helper()
	r := New(Implementation{Name: "keys", Version: "1"}, Options{StateKeys: keys})
	err := r.AddTool(Tool{Name: "ask", Inline: true}, func(req *Request, _ []byte) error {
		a, err := req.ElicitAs("first", &ElicitParams{Message: "one?"})
		if err != nil {
			return err
		}
		b, err := req.ElicitAs("second", &ElicitParams{Message: "two?"})
		if err != nil {
			return err
		}
		req.Result.AddText(a.Action + "+" + b.Action)
		return nil
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	sh := r.NewShard(shards.NewInbox(16))
	return r, func(extra string) string {
		out := &sink{}
		s := r.NewRequestSession(sh, out)
		var dec codec.Decoder
		var m codec.Message
		handleLine(r, s, &dec, &m, []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"ask",`+extra+
			`"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"elicitation":{}}}}}`))
		return string(out.last)
	}
}

// stateOf returns the requestState of an input_required answer.
func stateIn(t *testing.T, answer string) string {
	t.Helper()
	var dec codec.Decoder
	var m codec.Message
	if err := dec.Decode([]byte(answer), &m); err != nil {
		t.Fatal(err)
	}
	st, ok := codec.ObjectField(m.Result, "requestState")
	if !ok {
		t.Fatalf("no requestState in %s", answer)
	}
	return strings.Trim(string(st), `"`)
}

var (
	key1 = bytes.Repeat([]byte("1"), 32)
	key2 = bytes.Repeat([]byte("2"), 32)
)

// Replicas that share a key open each other's states; after a rotation the
// retired key still opens states for their lifetime, and a server that
// never had it does not.
func TestStateKeyRotation(t *testing.T) {
	round2 := func(state string) string {
		return `"inputResponses":{"first":{"action":"accept"}},"requestState":"` + state + `",`
	}
	okAnswer := func(ans string) bool {
		return strings.Contains(ans, `"input_required"`) && strings.Contains(ans, `"second"`)
	}
	a, callA := stateRouter(t, key1)
	_, callB := stateRouter(t, key1)
	s1 := stateIn(t, callA(""))
	if ans := callB(round2(s1)); !okAnswer(ans) {
		t.Fatalf("a replica with the same key rejected the state: %s", ans)
	}
	_, callOther := stateRouter(t, key2)
	if ans := callOther(round2(s1)); !strings.Contains(ans, `"code":-32602`) {
		t.Fatalf("a server with another key accepted the state: %s", ans)
	}
	if err := a.SetStateKeys(key2); err != nil {
		t.Fatal(err)
	}
	if ans := callA(round2(s1)); !okAnswer(ans) {
		t.Fatalf("the retired key stopped verifying at once: %s", ans)
	}
	s2 := stateIn(t, callA(""))
	if ans := callOther(round2(s2)); !okAnswer(ans) {
		t.Fatalf("the new key does not sign: %s", ans)
	}
	_, callBoth := stateRouter(t, key2, key1)
	for _, s := range []string{s1, s2} {
		if ans := callBoth(round2(s)); !okAnswer(ans) {
			t.Fatalf("a server listing both keys rejected a state: %s", ans)
		}
	}
	if err := a.SetStateKeys([]byte("short")); err != ErrShortStateKey {
		t.Fatalf("short key: %v", err)
	}
	// A retired key verifies only until its time is up.
	ring := a.keys.Load()
	if len(ring.retired) != 1 || !bytes.Equal(ring.retired[0].key, key1) {
		t.Fatalf("retired keys: %+v", ring.retired)
	}
	ring.retired[0].until = time.Now().Add(-time.Second)
	if ans := callA(round2(s1)); !strings.Contains(ans, `"code":-32602`) {
		t.Fatalf("an expired retired key still verified: %s", ans)
	}
	if err := a.SetStateKeys(key1); err != nil {
		t.Fatal(err)
	}
	if r := a.keys.Load().retired; len(r) != 1 || !bytes.Equal(r[0].key, key2) {
		t.Fatalf("after rotating back, retired: %+v (the expired key must be gone, key2 retired)", r)
	}
}
