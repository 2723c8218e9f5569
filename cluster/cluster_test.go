package cluster

import (
	"testing"
	"time"
)

// A full outbox drops and counts, never blocks the event loop that sends.
func TestOutboxIsBounded(t *testing.T) {
	n := &Node{outbox: make(chan outMsg, 2), broken: make(map[string]struct{})}
	for range 2 {
		if !n.send(outMsg{subj: "x"}) {
			t.Fatal("refused with room left")
		}
	}
	done := make(chan bool)
	go func() { done <- n.send(outMsg{subj: "x"}) }()
	select {
	case ok := <-done:
		if ok {
			t.Fatal("a full outbox accepted a message")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("send blocked on a full outbox")
	}
	if got := n.stats.dropped.Load(); got != 1 {
		t.Fatalf("dropped %d, want 1", got)
	}
	// A reply stream that lost a message is remembered (bounded) for a
	// broken-stream notice.
	o := &remoteOut{n: n, reply: "densemcp.rep.a.1"}
	if o.Write([]byte("data")) {
		t.Fatal("write to a full outbox reported delivered")
	}
	if _, ok := n.broken["densemcp.rep.a.1"]; !ok {
		t.Fatal("the broken stream was not remembered")
	}
	for i := range 5000 {
		n.markBroken("s" + string(rune(i)))
	}
	if len(n.broken) > 4096 {
		t.Fatalf("broken set grew to %d", len(n.broken))
	}
}

func TestRecordRoundTrip(t *testing.T) {
	rec := appendRecord(nil, "node-1", []byte(`{"v":"2025-11-25","n":true}`))
	owner, state, ok := decodeRecord(rec)
	if !ok || owner != "node-1" || string(state) != `{"v":"2025-11-25","n":true}` {
		t.Fatalf("%s → %q %s %v", rec, owner, state, ok)
	}
	for _, bad := range []string{``, `{}`, `{"o":1,"s":{}}`, `{"o":"a","s":[]}`, `{"o":"a"}`} {
		if _, _, ok := decodeRecord([]byte(bad)); ok {
			t.Fatalf("%q decoded", bad)
		}
	}
}

// Rendezvous hashing spreads sessions over the peers, and each session's
// choice does not move when an unrelated peer leaves.
func TestRendezvous(t *testing.T) {
	peers := []string{"a", "b", "c"}
	count := map[string]int{}
	moved := 0
	for i := range 3000 {
		id := "x." + string(rune('a'+i%26)) + string(rune(i))
		p := rendezvous(id, peers)
		count[p]++
		if p != "c" && rendezvous(id, []string{"a", "b"}) != p {
			moved++
		}
	}
	for _, p := range peers {
		if count[p] < 700 {
			t.Fatalf("uneven: %v", count)
		}
	}
	if moved != 0 {
		t.Fatalf("%d sessions moved between the peers that stayed", moved)
	}
}

func TestConfigChecks(t *testing.T) {
	f := func(c Config, ok bool) {
		t.Helper()
		if err := c.setDefaults(); (err == nil) != ok {
			t.Fatalf("%+v: err %v", c, err)
		}
	}
	f(Config{}, false)
	f(Config{URLs: []string{"nats://127.0.0.1:4222"}}, true)
	f(Config{URLs: []string{"x"}, NodeID: "has.dot"}, false)
	f(Config{URLs: []string{"x"}, NodeID: "0123456789012345678901234567890123"}, false)
	f(Config{URLs: []string{"x"}, Name: "a b"}, false)
	f(Config{URLs: []string{"x"}, Heartbeat: time.Second, DeadAfter: time.Second}, false)
	c := Config{URLs: []string{"x"}}
	_ = c.setDefaults()
	if !validName(c.NodeID, 32) || c.DeadAfter != 3*c.Heartbeat || c.StateTTL != DefaultStateTTL {
		t.Fatalf("defaults %+v", c)
	}
	if got := ParseURLs(" nats://a:1, ,nats://b:2 "); len(got) != 2 || got[1] != "nats://b:2" {
		t.Fatalf("ParseURLs: %q", got)
	}
}
