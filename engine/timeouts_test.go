package engine

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/densemcp/densemcp/router"
)

// short timeouts for tests: each fires within a second or so. Tests that
// assert a connection is NOT cut use far longer ones than the client's
// pauses, so a loaded machine cannot make them fail.
var shortTimeouts = Timeouts{Head: 300 * time.Millisecond, Body: 300 * time.Millisecond,
	Idle: 300 * time.Millisecond, TCPIdle: 300 * time.Millisecond, Init: 300 * time.Millisecond, MinBodyRate: -1}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return c
}

// readAll reads c to EOF; a reset is an error.
func readAll(t *testing.T, c net.Conn) string {
	t.Helper()
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read %q then: %v", b, err)
	}
	return string(b)
}

// A request head that stalls gets 408, then the server closes politely.
func TestHeadTimeout(t *testing.T) {
	s, addr := startHTTP(t, Config{Timeouts: shortTimeouts})
	c := dial(t, addr)
	c.Write([]byte("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n"))
	if ans := readAll(t, c); !strings.HasPrefix(ans, "HTTP/1.1 408 ") || !strings.Contains(ans, "Connection: close") {
		t.Fatalf("answer %q", ans)
	}
	if s.ClosedBy(CloseTimeout) != 1 {
		t.Fatalf("timeouts counted: %d", s.ClosedBy(CloseTimeout))
	}
}

// A connection that never sends its first request is closed without an
// answer (nothing was asked).
func TestFirstRequestTimeout(t *testing.T) {
	s, addr := startHTTP(t, Config{Timeouts: shortTimeouts})
	c := dial(t, addr)
	if ans := readAll(t, c); ans != "" {
		t.Fatalf("answer %q", ans)
	}
	if s.ClosedBy(CloseIdle) != 1 {
		t.Fatalf("idle closes counted: %d", s.ClosedBy(CloseIdle))
	}
}

// A body that stops arriving gets 408.
func TestBodyTimeout(t *testing.T) {
	_, addr := startHTTP(t, Config{Timeouts: shortTimeouts})
	c := dial(t, addr)
	c.Write([]byte("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"jsonrpc\""))
	if ans := readAll(t, c); !strings.HasPrefix(ans, "HTTP/1.1 408 ") {
		t.Fatalf("answer %q", ans)
	}
}

// trickle sends a POST whose body (valid JSON padded with spaces) arrives
// in pieces of step bytes every interval, then reads the answer's status
// line.
func trickle(t *testing.T, addr string, size, step int, every time.Duration) string {
	t.Helper()
	c := dial(t, addr)
	body := `{"jsonrpc":"2.0","id":1,"method":"ping"` + strings.Repeat(" ", size-41) + "}"
	c.Write([]byte("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n"))
	for i := 0; i < len(body); i += step {
		if _, err := c.Write([]byte(body[i:min(i+step, len(body))])); err != nil {
			break // cut: the answer says why
		}
		time.Sleep(every)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("status line %q: %v", line, err)
	}
	return line
}

// A body trickling in below MinBodyRate is cut once it has been arriving
// for BodyTimeout, though it never stalls for that long; one above the
// rate is served however long it takes.
func TestMinBodyRate(t *testing.T) {
	to := shortTimeouts
	to.Body = time.Second
	to.MinBodyRate = 4000
	_, addr := startHTTP(t, Config{Timeouts: to})
	// 1 KB/s for 3 s: below the rate.
	if line := trickle(t, addr, 3000, 50, 50*time.Millisecond); !strings.HasPrefix(line, "HTTP/1.1 408 ") {
		t.Fatalf("slow body: %q", line)
	}
	// 20 KB/s for 2.5 s: above the rate, and longer than the body timeout.
	if line := trickle(t, addr, 50000, 1000, 50*time.Millisecond); strings.HasPrefix(line, "HTTP/1.1 408 ") {
		t.Fatalf("steady body was cut: %q", line)
	}
}

// A keep-alive connection with no request is closed after Idle; one that
// keeps asking is not.
func TestIdleTimeout(t *testing.T) {
	to := shortTimeouts
	to.Idle = 2 * time.Second
	_, addr := startHTTP(t, Config{Timeouts: to})
	c := dial(t, addr)
	br := bufio.NewReader(c)
	get := func() error {
		if _, err := c.Write([]byte("GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")); err != nil {
			return err
		}
		resp, err := readResponse(br)
		if err == nil && !strings.HasPrefix(resp, "HTTP/1.1 404 ") {
			t.Fatalf("answer %q", resp)
		}
		return err
	}
	for i := 0; i < 30; i++ { // 3 s of requests 100 ms apart
		if err := get(); err != nil {
			t.Fatalf("request %d on a busy keep-alive connection: %v", i, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
		t.Fatalf("idle close: %q, %v", rest, err)
	}
}

// readResponse reads one response with a Content-Length body.
func readResponse(br *bufio.Reader) (string, error) {
	var sb strings.Builder
	n := 0
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return sb.String(), err
		}
		sb.WriteString(line)
		if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
			n, _ = strconv.Atoi(strings.TrimSpace(v))
		}
		if line == "\r\n" {
			break
		}
	}
	body := make([]byte, n)
	_, err := io.ReadFull(br, body)
	sb.Write(body)
	return sb.String(), err
}

// An idle SSE stream outlives the idle timeout: its heartbeats keep it.
func TestSSEExemptFromIdle(t *testing.T) {
	_, addr := startHTTP(t, Config{Timeouts: shortTimeouts, HTTP: HTTPConfig{Heartbeat: 100 * time.Millisecond}})
	c := dial(t, addr)
	br := bufio.NewReader(c)
	body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
	c.Write([]byte(httpPost("", body)))
	resp, err := readResponse(br)
	if err != nil {
		t.Fatal(err)
	}
	sid := ""
	for _, l := range strings.Split(resp, "\r\n") {
		if v, ok := strings.CutPrefix(l, "Mcp-Session-Id: "); ok {
			sid = v
		}
	}
	c.Write([]byte(httpPost(sid, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)))
	if _, err := readResponse(br); err != nil {
		t.Fatal(err)
	}
	g := dial(t, addr)
	g.Write([]byte("GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nMcp-Session-Id: " + sid + "\r\n\r\n"))
	gr := bufio.NewReader(g)
	end := time.Now().Add(1500 * time.Millisecond) // five idle timeouts
	pings := 0
	for time.Now().Before(end) {
		line, err := gr.ReadString('\n')
		if err != nil {
			t.Fatalf("SSE stream cut after %d heartbeats: %v", pings, err)
		}
		if strings.HasPrefix(line, ": ping") {
			pings++
		}
	}
	if pings == 0 {
		t.Fatal("no heartbeat in 1.5 s")
	}
}

// A legacy HTTP session whose handshake never completes is ended after
// Init: its id then gets 404.
func TestHTTPInitTimeout(t *testing.T) {
	_, addr := startHTTP(t, Config{Timeouts: Timeouts{Init: 200 * time.Millisecond}})
	c := dial(t, addr)
	br := bufio.NewReader(c)
	body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
	c.Write([]byte(httpPost("", body)))
	resp, err := readResponse(br)
	if err != nil {
		t.Fatal(err)
	}
	sid := ""
	for _, l := range strings.Split(resp, "\r\n") {
		if v, ok := strings.CutPrefix(l, "Mcp-Session-Id: "); ok {
			sid = v
		}
	}
	// A request before the handshake is refused and changes nothing; once
	// the session is ended its id gets 404.
	deadline := time.Now().Add(15 * time.Second)
	for {
		c.Write([]byte(httpPost(sid, `{"jsonrpc":"2.0","id":2,"method":"ping"}`)))
		resp, err := readResponse(br)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(resp, "HTTP/1.1 404 ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("session still there: %q", resp)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func startTCP(t *testing.T, cfg Config) (*Server, string) {
	return startServer(t, cfg, func(r *router.Router) {})
}

// NDJSON: a connection that never initializes gets -32001 and is closed;
// one that did is closed after TCPIdle with nothing running; a message
// that stalls halfway gets -32001.
func TestNDJSONTimeouts(t *testing.T) {
	s0, addr := startTCP(t, Config{Timeouts: shortTimeouts})
	c := dial(t, addr)
	if ans := readAll(t, c); !strings.Contains(ans, `"code":-32001`) {
		t.Fatalf("no handshake: %q", ans)
	}
	if s0.ClosedBy(CloseTimeout) != 1 {
		t.Fatalf("counted: timeout %d", s0.ClosedBy(CloseTimeout))
	}
	to := shortTimeouts
	to.Init = time.Minute // the handshake below is not what is timed
	s, addr := startTCP(t, Config{Timeouts: to})
	c = dial(t, addr)
	c.Write([]byte(initLines))
	br := bufio.NewReader(c)
	if _, err := br.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
		t.Fatalf("idle: %q %v", rest, err)
	}
	c = dial(t, addr)
	c.Write([]byte(initLines + `{"jsonrpc":"2.0","id":2,`))
	br = bufio.NewReader(c)
	br.ReadString('\n')
	if rest, err := io.ReadAll(br); err != nil || !strings.Contains(string(rest), `"code":-32001`) {
		t.Fatalf("stalled message: %q %v", rest, err)
	}
	if s.ClosedBy(CloseTimeout) != 1 || s.ClosedBy(CloseIdle) != 1 {
		t.Fatalf("counted: timeout %d idle %d", s.ClosedBy(CloseTimeout), s.ClosedBy(CloseIdle))
	}
}

// An NDJSON connection with a request running is not idle.
func TestNDJSONBusyNotCut(t *testing.T) {
	release := make(chan struct{})
	s, addr := startServer(t, Config{Timeouts: shortTimeouts}, func(r *router.Router) {
		addWaitTool(t, r, release)
	})
	c := dial(t, addr)
	c.Write([]byte(initLines + `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"wait","arguments":{}}}` + "\n"))
	br := bufio.NewReader(c)
	br.ReadString('\n')
	time.Sleep(1200 * time.Millisecond) // four idle timeouts
	close(release)
	line, err := br.ReadString('\n')
	if err != nil || !strings.Contains(line, `"id":2`) {
		t.Fatalf("busy connection: %q %v", line, err)
	}
	if n := s.ClosedBy(CloseIdle); n != 0 {
		t.Fatalf("%d idle closes", n)
	}
}
