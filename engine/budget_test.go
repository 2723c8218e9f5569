package engine

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

// Past the budget for messages still arriving, a new incomplete message is
// refused — 503 with Retry-After over HTTP, -32000 with retryAfterMs over
// NDJSON — and its connection closed politely, while messages that arrive
// whole are still served; closing the holder gives the budget back.
func TestIncompleteBudget(t *testing.T) {
	s, addr := startHTTP(t, Config{MaxIncompleteBytes: 1 << 20})
	holder := dial(t, addr)
	holder.Write([]byte("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\n\r\n"))
	holder.Write(bytes.Repeat([]byte(" "), 900<<10))
	waitFor(t, func() bool { return s.IncompleteBytes() >= 900<<10 }, "the first body to be held")
	if s.IncompleteBytes() > 900<<10+64<<10 {
		t.Fatalf("900 KiB of body holds %d bytes", s.IncompleteBytes())
	}

	late := dial(t, addr)
	late.Write([]byte("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\n\r\n"))
	late.Write(bytes.Repeat([]byte(" "), 300<<10))
	ans := readAll(t, late)
	if !strings.HasPrefix(ans, "HTTP/1.1 503 ") || !strings.Contains(ans, "Retry-After: 1\r\n") {
		t.Fatalf("past the budget: %q", ans)
	}

	// A request that arrives whole needs no budget.
	c := dial(t, addr)
	c.Write([]byte("GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
	if resp, err := readResponse(bufio.NewReader(c)); err != nil || !strings.HasPrefix(resp, "HTTP/1.1 404 ") {
		t.Fatalf("small request under a full budget: %q %v", resp, err)
	}
	holder.Close()
	waitFor(t, func() bool { return s.IncompleteBytes() == 0 }, "the budget to be given back")
	if s.ClosedBy(CloseBudget) != 1 {
		t.Fatalf("refusals counted: %d", s.ClosedBy(CloseBudget))
	}
}

func TestIncompleteBudgetNDJSON(t *testing.T) {
	s, addr := startServer(t, Config{MaxIncompleteBytes: 1 << 20}, nil)
	holder := dial(t, addr)
	holder.Write([]byte(initLines + `{"jsonrpc":"2.0","id":2,"method":"ping","params":{"pad":"`))
	holder.Write(bytes.Repeat([]byte("x"), 900<<10))
	waitFor(t, func() bool { return s.IncompleteBytes() >= 900<<10 }, "the first line to be held")
	late := dial(t, addr)
	late.Write([]byte(initLines + `{"jsonrpc":"2.0","id":2,"method":"ping","params":{"pad":"`))
	late.Write(bytes.Repeat([]byte("x"), 300<<10))
	ans := readAll(t, late)
	if !strings.Contains(ans, `"code":-32000`) || !strings.Contains(ans, `"retryAfterMs":1000`) {
		t.Fatalf("past the budget: %q", ans)
	}
	// The holder finishes its line and is answered; the budget is free.
	holder.Write([]byte(`"}}` + "\n"))
	br := bufio.NewReader(holder)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("holder: %v", err)
		}
		if strings.Contains(line, `"id":2,"result"`) {
			break
		}
	}
	if s.IncompleteBytes() != 0 {
		t.Fatalf("%d bytes still counted", s.IncompleteBytes())
	}
}

// A line split over many reads is answered whole, and one longer than the
// limit gets -32700 however it is split.
func TestNDJSONLineOverReads(t *testing.T) {
	_, addr := startServer(t, Config{MaxLineBytes: 200 << 10}, nil)
	c := dial(t, addr)
	c.Write([]byte(initLines))
	br := bufio.NewReader(c)
	br.ReadString('\n')
	msg := `{"jsonrpc":"2.0","id":7,"method":"ping","params":{"pad":"` + strings.Repeat("y", 150<<10) + `"}}` + "\r\n"
	for i := 0; i < len(msg); i += 999 {
		c.Write([]byte(msg[i:min(i+999, len(msg))]))
		if i%(50*999) == 0 {
			time.Sleep(time.Millisecond) // let reads split it
		}
	}
	if line, err := br.ReadString('\n'); err != nil || !strings.Contains(line, `"id":7,"result":{}`) {
		t.Fatalf("split line: %q %v", line, err)
	}
	long := `{"jsonrpc":"2.0","id":8,"method":"ping","params":{"pad":"` + strings.Repeat("z", 250<<10) + `"}}` + "\n"
	for i := 0; i < len(long); i += 4096 {
		if _, err := c.Write([]byte(long[i:min(i+4096, len(long))])); err != nil {
			break
		}
	}
	rest, err := io.ReadAll(br)
	if err != nil || !strings.Contains(string(rest), `"code":-32700`) {
		t.Fatalf("over-long split line: %q %v", rest, err)
	}
}
