package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/densemcp/densemcp/perf"
)

func TestParseBudget(t *testing.T) {
	f := func(in string, want int64) {
		t.Helper()
		got, err := parseBudget(in)
		if err != nil || got != want {
			t.Errorf("parseBudget(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	f("auto", 0)
	f("off", -1)
	f("1048576", 1<<20)
	f("512MiB", 512<<20)
	f("2G", 2<<30)
	f("3gb", 3e9)
	for _, bad := range []string{"lots", "12XB", "-5MiB", "MiB"} {
		if _, err := parseBudget(bad); err == nil {
			t.Errorf("parseBudget(%q) accepted", bad)
		}
	}
}

// syncLog collects a child's stderr for reading while it runs.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startBinary starts the binary (built by TestMain) serving NDJSON with
// the load fixtures, and returns it with its address.
func startBinary(t *testing.T, args ...string) (*exec.Cmd, string, *syncLog) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(binary, append([]string{"serve", "--fixtures", "load", "--tcp", addr}, args...)...)
	logs := &syncLog{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return cmd, addr, logs
		}
		if i > 1000 {
			t.Fatalf("densemcp never listened: %v\n%s", err, logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type client struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dialNDJSON(t *testing.T, addr string) *client {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	cl := &client{t: t, c: c, r: bufio.NewReader(c)}
	cl.send(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	cl.recv()
	cl.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	return cl
}

func (cl *client) send(line string) {
	cl.t.Helper()
	if _, err := io.WriteString(cl.c, line+"\n"); err != nil {
		cl.t.Fatal(err)
	}
}

func (cl *client) recv() string {
	cl.t.Helper()
	cl.c.SetReadDeadline(time.Now().Add(30 * time.Second))
	line, err := cl.r.ReadString('\n')
	if err != nil {
		cl.t.Fatalf("read: %v", err)
	}
	return line
}

func workCall(id string, waitMillis int) string {
	return fmt.Sprintf(`{"jsonrpc":"2.0","id":%q,"method":"tools/call","params":{"name":"work","arguments":{"waitMillis":%d}}}`, id, waitMillis)
}

// SIGTERM drains: a request arriving meanwhile is refused, the call
// running is answered, and the binary exits 0.
func TestSIGTERMDrainsAndExitsZero(t *testing.T) {
	cmd, addr, logs := startBinary(t)
	cl := dialNDJSON(t, addr)
	cl.send(workCall("run", 1500))
	time.Sleep(200 * time.Millisecond) // let the call start
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Until the signal is handled a request may still be served; once it
	// is, requests are refused with reason "shutdown".
	for i := 0; ; i++ {
		cl.send(`{"jsonrpc":"2.0","id":"late","method":"ping"}`)
		got := cl.recv()
		if strings.Contains(got, `"id":"run"`) {
			t.Fatalf("the running call was answered before any refusal: %s", got)
		}
		if strings.Contains(got, `"reason":"shutdown"`) {
			break
		}
		if i > 100 {
			t.Fatalf("no refusal while draining: %s", got)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := cl.recv(); !strings.Contains(got, `"id":"run"`) || !strings.Contains(got, `"waitMillis":1500`) {
		t.Fatalf("the running call during the drain: %s", got)
	}
	err := cmd.Wait()
	if err != nil {
		t.Fatalf("densemcp exited with %v\n%s", err, logs)
	}
	if !strings.Contains(logs.String(), "drained") || !strings.Contains(logs.String(), "answered=1") {
		t.Errorf("no drain summary in the logs:\n%s", logs)
	}
}

// A second signal exits at once, without waiting for the drain.
func TestSecondSignalExitsAtOnce(t *testing.T) {
	cmd, addr, logs := startBinary(t, "--drain-timeout", "10m")
	cl := dialNDJSON(t, addr)
	cl.send(workCall("run", 60000))
	time.Sleep(200 * time.Millisecond)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	for !strings.Contains(logs.String(), "a second signal exits at once") {
		time.Sleep(10 * time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("exit status 0 after a second signal cut the drain short")
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("densemcp still running 30 s after the second signal\n%s", logs)
	}
}

// SIGTERM under load: calls go on arriving on many connections, some of
// them running in handlers, when the signal comes. Every call the client
// sent is accounted: answered (those accepted, the running ones among them,
// finish during the drain), refused (the rest, with reason "shutdown" once
// the drain began), none lost when the connections close and none
// answered with another error or on another connection; the binary exits
// 0 and its own drain counts agree. With echo calls alone nothing is
// running when the signal comes, and the drain must still not close on
// calls in transit.
func TestSIGTERMUnderLoadAccountsEveryCall(t *testing.T) {
	for _, workEvery := range []int{10, 0} {
		t.Run(fmt.Sprintf("work every %d", workEvery), func(t *testing.T) { sigtermUnderLoad(t, workEvery) })
	}
}

func sigtermUnderLoad(t *testing.T, workEvery int) {
	cmd, addr, logs := startBinary(t, "--drain-timeout", "30s")
	res, err := perf.RunDrain(perf.DrainConfig{
		Addr: addr, Conns: 16, Rate: 2000, WorkEvery: workEvery, WorkArgs: `{"waitMillis":200}`, MaxInFlight: 256,
		Before: time.Second, Timeout: 30 * time.Second,
		Signal: func() error { return cmd.Process.Signal(syscall.SIGTERM) },
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, logs)
	}
	t.Logf("%+v", res)
	if werr := cmd.Wait(); werr != nil {
		t.Fatalf("densemcp exited with %v\n%s", werr, logs)
	}
	if res.Lost != 0 || res.Unanswered != 0 || res.Errors != 0 {
		t.Errorf("calls lost %d, unanswered %d, answered with another error %d", res.Lost, res.Unanswered, res.Errors)
	}
	if res.Sent != res.Answered+res.Refused+res.Errors+res.Lost+res.Unanswered {
		t.Errorf("sent %d != answered %d + refused %d + errors %d + lost %d + unanswered %d",
			res.Sent, res.Answered, res.Refused, res.Errors, res.Lost, res.Unanswered)
	}
	if res.RefusedShutdown == 0 || (workEvery > 0 && res.AnsweredAfterSignal == 0) || res.SentAfterSignal == 0 {
		t.Errorf("the signal did not land under load: %d shutdown refusals, %d answered and %d sent after it",
			res.RefusedShutdown, res.AnsweredAfterSignal, res.SentAfterSignal)
	}
	// The server's own count: every call running or queued when the drain
	// began was answered, or (queued past its wait) refused, and none was
	// cut off; it refused during the drain at least what the client saw
	// refused for shutdown, and no more than the client saw refused in all.
	m := regexp.MustCompile(`drained.*accepted=(\d+) answered=(\d+) refused=(\d+) cut_off=(\d+)`).FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("no drain summary in the logs:\n%s", logs)
	}
	n := func(s string) uint64 { v, _ := strconv.ParseUint(s, 10, 64); return v }
	accepted, answered, refused, cutOff := n(m[1]), n(m[2]), n(m[3]), n(m[4])
	if cutOff != 0 || answered+refused < accepted {
		t.Errorf("server: accepted %d, answered %d, cut off %d", accepted, answered, cutOff)
	}
	if refused < res.RefusedShutdown || refused > res.Refused {
		t.Errorf("server refused %d during the drain; the client saw %d shutdown refusals of %d", refused, res.RefusedShutdown, res.Refused)
	}
}
