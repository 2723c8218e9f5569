//go:build linux

package perf

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// refusingLineServer answers NDJSON calls like echoAnswer, except that it refuses calls by
// id: id%4 == 1 with a -32000 error carrying retryAfterMs, id%4 == 2 with -32001 lacking it
// (an error of its own kind), the rest answered.
func refusingLineServer(c net.Conn) {
	defer c.Close()
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		line := sc.Bytes()
		id, ok := answerID(line)
		if !ok {
			continue
		}
		var out []byte
		switch {
		case bytes.Contains(line, []byte(`"initialize"`)):
			out = echoAnswer(line, id)
		case id%4 == 1:
			out = fmt.Appendf(nil, `{"jsonrpc":"2.0","id":%d,"error":{"code":-32000,"message":"server overloaded","data":{"retryAfterMs":40}}}`+"\n", id)
		case id%4 == 2:
			out = fmt.Appendf(nil, `{"jsonrpc":"2.0","id":%d,"error":{"code":-32001,"message":"busy"}}`+"\n", id)
		default:
			out = echoAnswer(line, id)
		}
		if _, err := c.Write(out); err != nil {
			return
		}
	}
}

func TestRefusalsCountedApartNDJSON(t *testing.T) {
	addr := startLineServer(t, nil, refusingLineServer)
	for _, io := range ioModes(t) {
		r := runBench(t, Config{Target: TargetTCP, Addr: addr, Shape: ShapeClosed, Conns: 2, Depth: 4, IO: io, Tool: "echo"})
		if r.Calls == 0 || r.Refused == 0 || r.ErrorKinds["refusal_without_retry_after"] == 0 {
			t.Fatalf("%s: calls=%d refused=%d errors=%v", io, r.Calls, r.Refused, r.ErrorKinds)
		}
		if r.Errors != r.ErrorKinds["refusal_without_retry_after"] || r.Timeouts != 0 || r.Refused429 != 0 {
			t.Fatalf("%s: other errors: %v timeouts=%d 429s=%d", io, r.ErrorKinds, r.Timeouts, r.Refused429)
		}
		checkRefusalSums(t, r)
		if r.RetryAfterMsMax != 40 {
			t.Fatalf("%s: retryAfterMs max %d, want 40", io, r.RetryAfterMsMax)
		}
	}
}

// checkRefusalSums checks that every call sent in the window is accounted for once, and
// that the refusal figures hang together.
func checkRefusalSums(t *testing.T, r Row) {
	t.Helper()
	if r.Calls+r.Refused+r.Errors+r.Timeouts != r.Sent {
		t.Fatalf("calls %d + refused %d + errors %d + timeouts %d != sent %d", r.Calls, r.Refused, r.Errors, r.Timeouts, r.Sent)
	}
	if r.NotServed != r.Sent-r.Calls {
		t.Fatalf("not served %d, want %d", r.NotServed, r.Sent-r.Calls)
	}
	if r.RefusedFast > r.Refused || r.RefusalP50us <= 0 || r.RefusalP99us < r.RefusalP50us || r.RefusalMaxUs < r.RefusalP99us {
		t.Fatalf("refusal latency: fast=%d of %d, p50 %.0f p99 %.0f max %.0f µs", r.RefusedFast, r.Refused,
			r.RefusalP50us, r.RefusalP99us, r.RefusalMaxUs)
	}
	if want := float64(r.Refused) / float64(r.Sent); r.RefusalRate != want {
		t.Fatalf("refusal rate %g, want %g", r.RefusalRate, want)
	}
}

// refusingHTTPHandler is a legacy Streamable HTTP server in net/http: initialize gets a
// session, calls are refused by id — id%5 == 1: 503 with Retry-After, id%5 == 2: 429 with
// Retry-After, id%5 == 3: 503 without it — and the rest echoed.
func refusingHTTPHandler(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	id, ok := answerID(body)
	if !ok {
		w.WriteHeader(http.StatusAccepted)
		return
	}
	switch {
	case bytes.Contains(body, []byte(`"initialize"`)):
		w.Header().Set("Mcp-Session-Id", "s1")
	case id%5 == 1:
		w.Header().Set("Retry-After", "2")
		http.Error(w, "overloaded", http.StatusServiceUnavailable)
		return
	case id%5 == 2:
		w.Header().Set("Retry-After", "1")
		http.Error(w, "over your share", http.StatusTooManyRequests)
		return
	case id%5 == 3:
		http.Error(w, "overloaded", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(bytes.TrimSuffix(echoAnswer(body, id), []byte("\n")))
}

func startHTTPServer(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

func TestRefusalsCountedApartHTTP(t *testing.T) {
	addr := startHTTPServer(t, refusingHTTPHandler)
	for _, io := range ioModes(t) {
		r := runBench(t, Config{Target: TargetHTTP, Addr: addr, Shape: ShapeClosed, Conns: 2, Depth: 2, IO: io, Tool: "echo"})
		if r.Calls == 0 || r.Refused == 0 || r.Refused429 == 0 || r.Refused429 >= r.Refused {
			t.Fatalf("%s: calls=%d refused=%d (429: %d)", io, r.Calls, r.Refused, r.Refused429)
		}
		if r.ErrorKinds["refusal_without_retry_after"] == 0 || r.Errors != r.ErrorKinds["refusal_without_retry_after"] {
			t.Fatalf("%s: errors %v, want only refusals without Retry-After", io, r.ErrorKinds)
		}
		checkRefusalSums(t, r)
		if r.RetryAfterMsMax != 2000 {
			t.Fatalf("%s: Retry-After max %d ms, want 2000", io, r.RetryAfterMsMax)
		}
	}
}

// TestOtherToolAgainstFloor calls a tool other than echo with arguments given as JSON: the
// floor answers any tools/call with a result, so every call counts and none is an error.
func TestOtherToolAgainstFloor(t *testing.T) {
	s := startFloor(t)
	f := func(target Target, addr string) {
		t.Helper()
		r := runBench(t, Config{Target: target, Addr: addr, Shape: ShapeClosed, Conns: 2, Depth: 2, IO: IOEpoll,
			Tool: "work", Args: `{"cpuMicros": 200}`})
		if r.Calls == 0 || r.Errors != 0 || r.Refused != 0 || r.Tool != "work" {
			t.Fatalf("%s: calls=%d errors=%v refused=%d tool=%q", target, r.Calls, r.ErrorKinds, r.Refused, r.Tool)
		}
	}
	f(TargetTCP, s.TCPAddr)
	f(TargetHTTP, s.HTTPAddr)
	f(TargetHTTPModern, s.HTTPAddr)
}

// A tool error (isError) in the answer of a non-echo call is counted as such.
func TestToolErrorCounted(t *testing.T) {
	addr := startLineServer(t, nil, func(c net.Conn) {
		defer c.Close()
		sc := bufio.NewScanner(c)
		for sc.Scan() {
			id, ok := answerID(sc.Bytes())
			if !ok {
				continue
			}
			out := echoAnswer(sc.Bytes(), id)
			if !bytes.Contains(sc.Bytes(), []byte(`"initialize"`)) {
				// work calls carry no echo text: a result of their own.
				out = []byte(`{"jsonrpc":"2.0","id":` + strconv.FormatUint(id, 10) + `,"result":{"content":[{"type":"text","text":"done"}]}}` + "\n")
				if id%2 == 0 {
					out = []byte(`{"jsonrpc":"2.0","id":` + strconv.FormatUint(id, 10) + `,"result":{"content":[],"isError":true}}` + "\n")
				}
			}
			if _, err := c.Write(out); err != nil {
				return
			}
		}
	})
	r := runBench(t, Config{Target: TargetTCP, Addr: addr, Shape: ShapeClosed, Conns: 1, Depth: 2, IO: IOEpoll,
		Tool: "work", Args: `{"waitMillis":1}`})
	if r.Calls == 0 || r.ErrorKinds["tool_error"] == 0 || r.Errors != r.ErrorKinds["tool_error"] {
		t.Fatalf("calls=%d errors=%v", r.Calls, r.ErrorKinds)
	}
}

// TestOverloadShape measures capacity first (closed loop, then open loop at twice that,
// doubled while the server keeps up; the most goodput shown), then offers each multiple of it; given a capacity it
// measures none. Rates are checked, not timing.
func TestOverloadShape(t *testing.T) {
	s := startFloor(t)
	multiples := []float64{0.001, 0.002}
	rows, err := Run(&Config{Target: TargetTCP, Addr: s.TCPAddr, Shape: ShapeOverload, Conns: 4, Depth: 4,
		Duration: 500 * time.Millisecond, CapacityTime: 500 * time.Millisecond, Multiples: multiples,
		Timeout: 2 * time.Second, Tick: DefaultTick, Path: "/mcp", Rate: 1, TextSize: 16, Tool: "echo", IO: IOEpoll}, nil)
	if err != nil {
		t.Fatal(err)
	}
	open := len(rows) - 1 - len(multiples)
	if open < 1 || open > maxCapacitySteps+1 || rows[0].Shape != "capacity" || rows[0].Capacity <= 0 {
		t.Fatalf("rows: %d (%d open-loop capacity runs), first %q capacity %g", len(rows), open, rows[0].Shape, rows[0].Capacity)
	}
	closed := int(rows[0].Capacity)
	prev, best, offers := closed, 0.0, []int{}
	for i := 1; i <= open; i++ {
		r := rows[i]
		if r.Shape != "capacity-open" || r.OfferedRate != 2*prev || r.Capacity <= 0 {
			// The one exception: a run that did not keep up and showed less than the
			// closed loop is followed by one at the closed loop's figure (searchCapacity).
			if !(i == open && r.OfferedRate == closed && int(best) < closed && r.Shape == "capacity-open") {
				t.Fatalf("capacity run %d: shape %q offered %d after %d, capacity %g", i, r.Shape, r.OfferedRate, prev, r.Capacity)
			}
		}
		offers = append(offers, r.OfferedRate)
		prev, best = int(r.Capacity), max(best, r.Capacity)
	}
	// The runs are the ones searchCapacity asks for, given the goodputs they showed.
	var asked []int
	i := 1
	if _, err := searchCapacity(closed, func(offered int) (int, error) {
		asked = append(asked, offered)
		if i > open {
			return 0, errors.New("asked for more runs than were made")
		}
		i++
		return int(rows[i-1].Capacity), nil
	}); err != nil || !slices.Equal(asked, offers) {
		t.Fatalf("capacity runs offered %v; searchCapacity asks %v (%v)", offers, asked, err)
	}
	for i, m := range multiples {
		r := rows[open+1+i]
		if r.Shape != "overload" || r.Multiple != m || r.Capacity != best || r.OfferedRate != multipleRate(int(r.Capacity), m) {
			t.Fatalf("row %d: shape %q multiple %g capacity %g offered %d", i+1, r.Shape, r.Multiple, r.Capacity, r.OfferedRate)
		}
		if r.Calls == 0 || r.Errors != 0 || r.Timeouts != 0 {
			t.Fatalf("row %d: calls=%d errors=%v timeouts=%d", i+1, r.Calls, r.ErrorKinds, r.Timeouts)
		}
	}
	rows, err = Run(&Config{Target: TargetTCP, Addr: s.TCPAddr, Shape: ShapeOverload, Conns: 2, Depth: 1, Capacity: 400,
		Duration: 300 * time.Millisecond, Multiples: []float64{0.5, 1}, Timeout: 2 * time.Second, Tick: DefaultTick,
		Path: "/mcp", Rate: 1, TextSize: 16, Tool: "echo", IO: IOEpoll}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].OfferedRate != 200 || rows[1].OfferedRate != 400 || rows[1].Capacity != 400 {
		t.Fatalf("given capacity: %d rows, offered %d and %d", len(rows), rows[0].OfferedRate, rows[len(rows)-1].OfferedRate)
	}
}

// In the overload shape no connection has more than K calls in flight: a server that
// answers nothing sees exactly K calls per connection before the generator sheds the rest.
func TestOverloadCapsInFlight(t *testing.T) {
	seen := make(chan int, 8)
	addr := startLineServer(t, nil, func(c net.Conn) {
		defer c.Close()
		sc := bufio.NewScanner(c)
		var n atomic.Int32
		for sc.Scan() {
			line := sc.Bytes()
			id, ok := answerID(line)
			switch {
			case !ok:
			case bytes.Contains(line, []byte(`"initialize"`)):
				if _, err := c.Write(echoAnswer(line, id)); err != nil {
					return
				}
			case strings.Contains(string(line), `"tools/call"`):
				if n.Add(1) == 1 {
					// Report how many arrived by the time the generator must have stopped.
					go func() { time.Sleep(300 * time.Millisecond); seen <- int(n.Load()) }()
				}
			}
		}
	})
	r := runBench(t, Config{Target: TargetTCP, Addr: addr, Shape: ShapeOverload, Conns: 1, Depth: 3, Capacity: 1000,
		Multiples: []float64{1}, Duration: 400 * time.Millisecond, IO: IOEpoll, Tool: "echo"})
	if got := <-seen; got != 3 {
		t.Fatalf("the server saw %d calls in flight, want 3 (K)", got)
	}
	if r.Shed == 0 || r.Calls != 0 {
		t.Fatalf("calls=%d shed=%d", r.Calls, r.Shed)
	}
}
