package router

import (
	"strings"
	"testing"
	"time"

	"github.com/densemcp/densemcp/codec"
	"github.com/densemcp/densemcp/shards"
)

// A handler's answer is posted back to its shard from the worker. A shard
// whose inbox is full for a moment (a burst of tasks on a net/http or
// stdio shard) must still get it: the answer was dropped, and with it the
// call's slot of the concurrency limit and its place in the session's
// in-flight set, for good.
func TestPooledAnswerSurvivesFullInbox(t *testing.T) {
	r := New(Implementation{Name: "postfull", Version: "1"}, Options{})
	release := make(chan struct{})
	err := r.AddTool(Tool{Name: "wait"}, func(req *Request, args []byte) error {
		<-release
		req.Result.AddText("done")
		return nil
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	in := shards.NewInbox(1)
	sh := r.NewShard(in)
	out := &sink{}
	s := r.NewSession(sh, out)
	var dec codec.Decoder
	var m codec.Message
	handleLine(r, s, &dec, &m, lineInit)
	handleLine(r, s, &dec, &m, lineInitialized)
	handleLine(r, s, &dec, &m, []byte(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"wait","arguments":{}}}`))
	if r.Pending(sh) != 1 {
		t.Fatalf("pending %d, want the call running", r.Pending(sh))
	}
	// The inbox is full when the handler returns.
	if err := in.Execute(func() {}); err != nil {
		t.Fatal(err)
	}
	close(release)
	// Give the worker time to find the inbox full (a drop happens at once).
	time.Sleep(50 * time.Millisecond)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(string(out.last), `"id":7`) {
		select {
		case fn := <-in.C:
			fn()
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the answer never arrived; last message %s", out.last)
		}
	}
	if !strings.Contains(string(out.last), `"done"`) {
		t.Fatalf("answer %s, want the handler's result", out.last)
	}
	if n := r.Pending(sh); n != 0 {
		t.Fatalf("pending %d after the answer, want 0", n)
	}
}
