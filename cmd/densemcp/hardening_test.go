package main

// Hardening tests from outside the process: the densemcp binary runs as a
// child process on loopback, clients use real sockets, and the server's
// memory is its resident set read from /proc.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// binary is the densemcp binary built for these tests (without the race
// detector, whose shadow memory would swamp the RSS measured).
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "densemcp-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "densemcp")
	build := exec.Command("go", "build", "-o", binary, ".")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "cannot build densemcp: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// server is a densemcp child process.
type server struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	stderr bytes.Buffer
}

// startServer runs `densemcp serve args...` and waits for "serving MCP".
func startServer(t *testing.T, args ...string) *server {
	t.Helper()
	s := &server{cmd: exec.Command(binary, append([]string{"serve"}, args...)...)}
	pipe, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		s.cmd.Wait()
	})
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pipe)
		once := sync.Once{}
		for sc.Scan() {
			s.mu.Lock()
			s.stderr.Write(sc.Bytes())
			s.stderr.WriteByte('\n')
			s.mu.Unlock()
			if strings.Contains(sc.Text(), "serving MCP") {
				once.Do(func() { close(ready) })
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		s.mu.Lock()
		defer s.mu.Unlock()
		t.Fatalf("server did not start: %s", s.stderr.String())
	}
	return s
}

// rss is the server's resident set in bytes.
func (s *server) rss(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(s.cmd.Process.Pid) + "/status")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

const initLines = `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}` + "\n" +
	`{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n"

// 50 HTTP bodies of 4 MiB - 1 bytes (of 4 MiB declared) and 50 NDJSON
// lines of 4 MiB - 1 bytes, each sent and then stalled, raise the server's
// RSS by at most 1.25 times the bytes sent plus a fixed overhead; every one
// of them then gets its timeout answer (408, -32001) followed by a clean
// close once the body timeout has passed.
func TestStalledMessagesMemoryAndTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 400 MiB")
	}
	httpAddr, tcpAddr := freeAddr(t), freeAddr(t)
	const bodyTimeout = 10 * time.Second
	s := startServer(t, "--http", httpAddr, "--tcp", tcpAddr, "--body-timeout", bodyTimeout.String(),
		"--min-body-rate", "-1", "--head-timeout", "1m", "--init-timeout", "1m", "--max-incomplete-bytes", "1073741824")
	// Warm up both transports, then take the baseline.
	warm := dial(t, tcpAddr)
	warm.Write([]byte(initLines))
	bufio.NewReader(warm).ReadString('\n')
	time.Sleep(500 * time.Millisecond)
	base := s.rss(t)

	const n, size = 50, 4<<20 - 1
	payload := bytes.Repeat([]byte("x"), size)
	var wg sync.WaitGroup
	conns := make([]net.Conn, 2*n)
	errs := make(chan error, 2*n)
	for i := range conns {
		addr, head := httpAddr, "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 4194304\r\n\r\n"
		if i >= n {
			addr, head = tcpAddr, ""
		}
		conns[i] = dial(t, addr)
		wg.Add(1)
		go func(c net.Conn) {
			defer wg.Done()
			c.SetWriteDeadline(time.Now().Add(2 * time.Minute))
			if _, err := c.Write(append([]byte(head), payload...)); err != nil {
				errs <- err
			}
		}(conns[i])
	}
	start := time.Now()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("sending: %v", err)
	}
	sentIn := time.Since(start)
	// The peak over two seconds: the last reads, and the memory it takes.
	peak := int64(0)
	for i := 0; i < 10; i++ {
		peak = max(peak, s.rss(t))
		time.Sleep(200 * time.Millisecond)
	}
	sent := int64(2 * n * size)
	const fixed = 64 << 20
	t.Logf("RSS %d MiB -> %d MiB for %d MiB sent in %v: %.2fx", base>>20, peak>>20, sent>>20, sentIn.Round(time.Millisecond),
		float64(peak-base)/float64(sent))
	if peak-base > sent*5/4+fixed {
		t.Fatalf("RSS grew by %d MiB for %d MiB held (limit 1.25x + %d MiB)", (peak-base)>>20, sent>>20, fixed>>20)
	}

	// Every connection is answered and closed after the body timeout.
	for i, c := range conns {
		c.SetReadDeadline(time.Now().Add(bodyTimeout + 30*time.Second))
		ans, err := io.ReadAll(c)
		if err != nil {
			t.Fatalf("connection %d: %v after %q", i, err, ans)
		}
		want := "HTTP/1.1 408 "
		if i >= n {
			want = `"code":-32001`
		}
		if !strings.Contains(string(ans), want) {
			t.Fatalf("connection %d: %q, want %s", i, ans, want)
		}
	}
	if d := time.Since(start); d < bodyTimeout {
		t.Fatalf("cut after %v, before the body timeout", d)
	}
}

// trickle sends body in pieces at rate bytes per second, for at most 5 s.
func trickle(c net.Conn, body []byte, rate int) error {
	const every = 50 * time.Millisecond
	step := max(rate*int(every)/int(time.Second), 1)
	end := time.Now().Add(5 * time.Second)
	for i := 0; i < len(body) && time.Now().Before(end); i += step {
		if _, err := c.Write(body[i:min(i+step, len(body))]); err != nil {
			return err
		}
		time.Sleep(every)
	}
	return nil
}

// Slow but steady clients, above the minimum rate, are not cut however
// long their message takes; one below it is.
func TestSlowSteadyClientsNotCut(t *testing.T) {
	httpAddr, tcpAddr := freeAddr(t), freeAddr(t)
	startServer(t, "--http", httpAddr, "--tcp", tcpAddr, "--body-timeout", "1s", "--min-body-rate", "2000")
	body := []byte(`{"jsonrpc":"2.0","id":1,"method":"ping"` + strings.Repeat(" ", 20000) + "}")
	post := func(rate int) string {
		c := dial(t, httpAddr)
		c.SetDeadline(time.Now().Add(60 * time.Second))
		c.Write([]byte("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"))
		trickle(c, body, rate)
		line, _ := bufio.NewReader(c).ReadString('\n')
		return line
	}
	// 8 KB/s: 2.5 s, longer than the body timeout, above the rate.
	if line := post(8000); line == "" || strings.HasPrefix(line, "HTTP/1.1 408") {
		t.Fatalf("steady HTTP client: %q", line)
	}
	// 500 B/s: cut once it has been arriving for the body timeout.
	if line := post(500); !strings.HasPrefix(line, "HTTP/1.1 408") {
		t.Fatalf("HTTP client below the rate: %q", line)
	}
	c := dial(t, tcpAddr)
	c.SetDeadline(time.Now().Add(60 * time.Second))
	c.Write([]byte(initLines))
	br := bufio.NewReader(c)
	br.ReadString('\n')
	if err := trickle(c, append(body, '\n'), 8000); err != nil {
		t.Fatal(err)
	}
	if line, err := br.ReadString('\n'); err != nil || !strings.Contains(line, `"id":1,"result":{}`) {
		t.Fatalf("steady NDJSON client: %q %v", line, err)
	}
}

// An idle SSE stream outlives the idle timeout that closes an idle
// keep-alive connection opened at the same time.
func TestIdleSSEStreamSurvives(t *testing.T) {
	addr := freeAddr(t)
	startServer(t, "--http", addr, "--idle-timeout", "1s")
	c := dial(t, addr)
	c.SetDeadline(time.Now().Add(30 * time.Second))
	br := bufio.NewReader(c)
	post := func(sid, body string) string {
		h := "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
		if sid != "" {
			h += "Mcp-Session-Id: " + sid + "\r\n"
		}
		c.Write([]byte(h + "Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body))
		sid, n := "", 0
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if v, ok := strings.CutPrefix(line, "Mcp-Session-Id: "); ok {
				sid = strings.TrimSpace(v)
			}
			if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
				n, _ = strconv.Atoi(strings.TrimSpace(v))
			}
			if line == "\r\n" {
				break
			}
		}
		io.CopyN(io.Discard, br, int64(n))
		return sid
	}
	sid := post("", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	post(sid, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	g := dial(t, addr)
	g.Write([]byte("GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nMcp-Session-Id: " + sid + "\r\n\r\n"))
	g.SetReadDeadline(time.Now().Add(10 * time.Second))
	gr := bufio.NewReader(g)
	if line, err := gr.ReadString('\n'); err != nil || !strings.HasPrefix(line, "HTTP/1.1 200") {
		t.Fatalf("GET stream: %q %v", line, err)
	}
	// c is now an idle keep-alive connection; g an idle stream.
	if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
		t.Fatalf("idle keep-alive connection: %q %v", rest, err)
	}
	time.Sleep(2 * time.Second) // past two idle timeouts in all
	g.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	for {
		_, err := gr.ReadString('\n')
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			break // still open
		}
		if err != nil {
			t.Fatalf("the SSE stream was closed: %v", err)
		}
	}
}

// A second server on a port in use exits non-zero at once, naming it.
func TestSecondServerOnTakenPort(t *testing.T) {
	addr := freeAddr(t)
	startServer(t, "--http", addr)
	cmd := exec.Command(binary, "serve", "--http", addr)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() == 0 {
		t.Fatalf("second server: %v, output %q", err, out)
	}
	if want := "address " + addr + " already in use"; !strings.Contains(string(out), want) || strings.Contains(string(out), "serving MCP") {
		t.Fatalf("second server said %q; want %q and no \"serving MCP\"", out, want)
	}
}
