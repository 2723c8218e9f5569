package floorsrv

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

// TestServerSplitWrites sends NDJSON and HTTP one byte per write, so gnet delivers partial
// frames, and checks the answers arrive whole.
func TestServerSplitWrites(t *testing.T) {
	s, err := Start("127.0.0.1:0", "127.0.0.1:0", 1)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	f := func(addr, req, wantPrefix string, lines int) {
		t.Helper()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		for i := range len(req) {
			if _, err := c.Write([]byte{req[i]}); err != nil {
				t.Fatal(err)
			}
		}
		r := bufio.NewReader(c)
		var got strings.Builder
		for range lines {
			l, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("%s: read after %q: %v", addr, got.String(), err)
			}
			got.WriteString(l)
		}
		if !strings.HasPrefix(got.String(), wantPrefix) {
			t.Fatalf("answer %q, want prefix %q", got.String(), wantPrefix)
		}
	}
	line := `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"echo","arguments":{"text":"abc"}}}` + "\n"
	f(s.TCPAddr, line+line, `{"jsonrpc":"2.0","id":9,"result":{"content":[{"type":"text","text":"abc"}]`, 2)
	post := "POST /mcp HTTP/1.1\r\nHost: h\r\nContent-Length: 55\r\n\r\n" +
		`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{}}`[:55]
	f(s.HTTPAddr, post, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nMcp-Session-Id: floor-1\r\n", 3)
	f(s.HTTPAddr, "GET /mcp HTTP/1.1\r\nAccept: text/event-stream\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream", 2)
}

func TestStartRefusesNonLoopback(t *testing.T) {
	if _, err := Start("0.0.0.0:0", "", 1); err == nil {
		t.Fatal("Start listened on a non-loopback address")
	}
}
