//go:build linux

package perf

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"testing"
	"time"
)

// A short soak against the floor: the measured load runs clean beside the churn, every
// kind of cycle happens on both transports, and the polite cycles see no error. The floor
// answers the streaming tool's call whole, which the soak counts apart.
func TestSoakAgainstFloor(t *testing.T) {
	s := startFloor(t)
	rows, err := Run(&Config{Target: TargetHTTP, Addr: s.HTTPAddr, ChurnTCP: s.TCPAddr, Shape: ShapeSoak, Conns: 4, Depth: 1,
		Rate: 500, Churn: 200, SSETool: "test_tool_with_progress", Duration: 1500 * time.Millisecond, Timeout: 2 * time.Second,
		Tick: DefaultTick, Path: "/mcp", TextSize: 16, IO: IOEpoll, ServerPID: os.Getpid()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := rows[0]
	if r.Shape != "soak" || r.Calls == 0 || r.Errors != 0 || r.Timeouts != 0 || r.LostConns != 0 {
		t.Fatalf("measured load: shape %q calls=%d errors=%v timeouts=%d lost=%d", r.Shape, r.Calls, r.ErrorKinds, r.Timeouts, r.LostConns)
	}
	c := r.Churn
	if c == nil {
		t.Fatal("no churn stats")
	}
	if c.PoliteErrors != 0 || c.Abrupt != 0 {
		t.Fatalf("polite errors %d %v, abrupt failures %d", c.PoliteErrors, c.ErrorKinds, c.Abrupt)
	}
	if c.Polite == 0 || c.Resets == 0 || c.MidRequest == 0 || c.StreamsCut == 0 || c.NotStreamed == 0 || c.CutMidStream != 0 {
		t.Fatalf("churn kinds: %+v", *c)
	}
	if len(r.Series) == 0 || r.Series[0].FDs == 0 || r.BaselineFDs == 0 || r.FinalFDs == 0 {
		t.Fatalf("descriptors: series %d points, baseline %d, final %d", len(r.Series), r.BaselineFDs, r.FinalFDs)
	}
}

// streamingHandler is a legacy session server whose tool "slow" answers as an SSE stream:
// one progress event at once, the answer 200 ms later; other calls are echoed.
func streamingHandler(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	id, ok := answerID(body)
	switch {
	case r.Method == http.MethodDelete:
		return
	case r.Method == http.MethodGet:
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		return
	case !ok:
		w.WriteHeader(http.StatusAccepted)
		return
	case bytes.Contains(body, []byte(`"initialize"`)):
		w.Header().Set("Mcp-Session-Id", "s1")
	case bytes.Contains(body, []byte(`"name":"slow"`)):
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":%d,\"progress\":1}}\n\n", id)
		w.(http.Flusher).Flush()
		select {
		case <-time.After(200 * time.Millisecond):
		case <-r.Context().Done():
			return
		}
		fmt.Fprintf(w, "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":%d,\"result\":{\"content\":[]}}\n\n", id)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(bytes.TrimSuffix(echoAnswer(body, id), []byte("\n")))
}

// The churner cuts a streamed answer after its first event, and its polite cycles run the
// whole exchange (initialize, call, DELETE) without error.
func TestChurnCutsStreams(t *testing.T) {
	addr := startHTTPServer(t, streamingHandler)
	cfg := &Config{Target: TargetHTTP, Addr: addr, Path: "/mcp", TextSize: 16, SSETool: "slow", Tool: "echo"}
	if err := cfg.buildCall(); err != nil {
		t.Fatal(err)
	}
	ch := newChurner(cfg)
	for i := range 2 * numChurnKinds {
		ch.cycle(i)
	}
	s := ch.stats()
	if s.Polite != 2 || s.Resets != 2 || s.MidRequest != 2 || s.StreamsCut != 2 || s.CutMidStream != 2 || s.PoliteErrors != 0 || s.Abrupt != 0 {
		t.Fatalf("churn: %+v", s)
	}
}
