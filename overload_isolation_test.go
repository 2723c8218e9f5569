package densemcp_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/densemcp/densemcp"
	"github.com/densemcp/densemcp/engine"
	"github.com/densemcp/densemcp/perf/fixtures"
)

// A refusal decided inside another connection's pass goes to its own
// client alone. Client B fills the loop's queue; client A then sends a
// ping and a blocking call in one write. A's call finds the queue full and
// takes the place of B's newest queued call, which is refused then and
// there, while A's ping answer waits in the loop's batch: B must get its
// refusal and nothing of A's, and A its ping answer.
func TestRefusalInAnotherPassReachesItsOwnClient(t *testing.T) {
	s := newTestServer(t, &densemcp.Options{MaxQueueWait: 350 * time.Millisecond,
		Engine: engine.Config{Loops: 1}}, func(s *densemcp.Server) {
		if err := fixtures.AddWork(s); err != nil {
			t.Fatal(err)
		}
	})
	tcp, _ := serveOverload(t, s)
	work := func(id string, ms int) string {
		return `{"jsonrpc":"2.0","id":"` + id + `","method":"tools/call","params":{"name":"work","arguments":{"waitMillis":` +
			strconv.Itoa(ms) + `}}}` + "\n"
	}
	// The limiter learns the call's latency (the queue's bound is counted
	// in it).
	a := dialLines(t, tcp)
	a.initLegacy()
	for i := 0; i < 3; i++ {
		if got := a.roundTrip(strings.TrimSuffix(work("warm", 100), "\n")); !strings.Contains(got, `"result"`) {
			t.Fatalf("warm-up call: %s", got)
		}
	}
	b := dialLines(t, tcp)
	b.initLegacy()
	var burst strings.Builder
	for i := 0; i < 40; i++ {
		burst.WriteString(work("b"+strconv.Itoa(i), 100))
	}
	// B's calls: some run, a few queue (their expected wait within
	// MaxQueueWait), the rest are refused at once; A's arrive right after.
	b.send(burst.String())
	a.send(`{"jsonrpc":"2.0","id":"a-ping","method":"ping"}` + "\n" + work("a-work", 1))
	if got := a.recv(); got != `{"jsonrpc":"2.0","id":"a-ping","result":{}}` {
		t.Fatalf("A's first answer: %s", got)
	}
	// Every answer B gets is to one of its own calls.
	for i := 0; i < 40; i++ {
		got := b.recv()
		if !strings.Contains(got, `"id":"b`) {
			t.Fatalf("B got an answer that is not its own: %s", got)
		}
	}
	t.Logf("%+v", s.OverloadStats())
}
