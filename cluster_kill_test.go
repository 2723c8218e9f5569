//lint:file-ignore SA1019 legacy sessions' logging (deprecated in 2026-07-28) is part of the durable state these tests carry across nodes

package densemcp_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// syncBuffer is a bytes.Buffer safe for a child's output and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// nodeProc is a densemcp binary serving as one cluster node.
type nodeProc struct {
	id    string
	addr  string
	admin string // its admin listener (/readyz, which HAProxy checks)
	cmd   *exec.Cmd
	log   *syncBuffer
}

// buildBinary builds cmd/densemcp once per test.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "densemcp")
	out, err := exec.Command("go", "build", "-o", bin, "./cmd/densemcp").CombinedOutput()
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func startNodeProc(t *testing.T, bin, natsURL, name, id string, extra ...string) *nodeProc {
	t.Helper()
	addr, admin := freeAddr(t), freeAddr(t)
	args := append([]string{"serve", "--http", addr, "--admin", admin, "--cluster", natsURL, "--cluster-node", id,
		"--cluster-name", name, "--cluster-memory", "--cluster-heartbeat", "100ms", "--cluster-dead-after", "1s"}, extra...)
	p := &nodeProc{id: id, addr: addr, admin: admin, cmd: exec.Command(bin, args...), log: &syncBuffer{}}
	p.cmd.Stderr = p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
		if t.Failed() {
			t.Logf("node %s log:\n%s", id, p.log.String())
		}
	})
	waitFor(t, "node "+id+" joined", func() bool { return strings.Contains(p.log.String(), "joined cluster") })
	return p
}

// Three densemcp processes behind a round-robin front (HAProxy with the
// shipped configuration where installed, else the Go one). Legacy sessions run
// calls without pause; node b is killed with SIGKILL mid-run. Every call
// ends — answered or with an explicit error, none hangs — and afterwards
// every session, b's included, goes on through a and c.
func TestClusterSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs three processes")
	}
	bin := buildBinary(t)
	natsURL := startNATS(t)
	var procs []*nodeProc
	var addrs, admins []string
	for _, id := range []string{"a", "b", "c"} {
		p := startNodeProc(t, bin, natsURL, "kill", id)
		procs = append(procs, p)
		addrs = append(addrs, p.addr)
		admins = append(admins, p.admin)
	}
	url, advance := startFront(t, addrs, admins)

	// Sessions until at least two live on b.
	var sessions []*mcp.ClientSession
	onB := 0
	for i := 0; i < 15 && (onB < 2 || len(sessions) < 6); i++ {
		cs := clusterClient(t, url, "2025-11-25", &clientEvents{})
		sessions = append(sessions, cs)
		if strings.HasPrefix(cs.ID(), "b.") {
			onB++
		} else {
			advance()
		}
	}
	if onB < 2 {
		t.Fatalf("only %d of %d sessions were created on node b", onB, len(sessions))
	}

	var (
		calls, answered, failed atomic.Int64
		killed                  atomic.Bool
		afterKillOK             = make([]atomic.Int64, len(sessions))
		stop                    = make(chan struct{})
		wg                      sync.WaitGroup
		hangMu                  sync.Mutex
		hangs                   []string
	)
	for si, cs := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				wasKilled := killed.Load()
				text := fmt.Sprintf("s%d-%d", si, i)
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				calls.Add(1)
				res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": text}})
				timedOut := ctx.Err() != nil
				cancel()
				switch {
				case timedOut:
					hangMu.Lock()
					hangs = append(hangs, text)
					hangMu.Unlock()
				case err != nil:
					failed.Add(1)
				case res.IsError || res.Content[0].(*mcp.TextContent).Text != text:
					t.Errorf("call %s: wrong answer %+v", text, res)
				default:
					answered.Add(1)
					if wasKilled {
						afterKillOK[si].Add(1)
					}
				}
			}
		}()
	}
	time.Sleep(time.Second)
	before := answered.Load()
	if err := procs[1].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed.Store(true)
	// Past the failure detector (1 s) and some more calls on every session.
	deadline := time.Now().Add(20 * time.Second)
	for {
		all := true
		for i := range afterKillOK {
			all = all && afterKillOK[i].Load() >= 3
		}
		if all {
			break
		}
		if time.Now().After(deadline) {
			for i, cs := range sessions {
				t.Logf("session %s: %d calls answered after the kill", cs.ID(), afterKillOK[i].Load())
			}
			t.Fatal("not every session went on after node b was killed")
		}
		time.Sleep(50 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	t.Logf("calls %d: answered %d (%d before the kill), explicit errors %d", calls.Load(), answered.Load(), before, failed.Load())
	if len(hangs) > 0 {
		t.Fatalf("%d calls hung (no answer, no error in 20 s): %v", len(hangs), hangs)
	}
	if calls.Load() != answered.Load()+failed.Load() {
		t.Fatalf("%d calls, %d answered, %d failed: some were lost", calls.Load(), answered.Load(), failed.Load())
	}
	// The survivors adopted b's sessions.
	var logs string
	for _, p := range []*nodeProc{procs[0], procs[2]} {
		logs += p.log.String()
	}
	if !strings.Contains(logs, "adopted session") {
		t.Fatal("no survivor logged an adoption")
	}
}

// A node told to stop (SIGTERM) hands its sessions to the others before
// it exits: they are adopted before any client asks, and go on.
func TestClusterDrainHandsSessionsOver(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs three processes")
	}
	bin := buildBinary(t)
	natsURL := startNATS(t)
	var procs []*nodeProc
	var addrs, admins []string
	for _, id := range []string{"a", "b", "c"} {
		p := startNodeProc(t, bin, natsURL, "drain", id)
		procs = append(procs, p)
		addrs = append(addrs, p.addr)
		admins = append(admins, p.admin)
	}
	url, advance := startFront(t, addrs, admins)
	var onB []*mcp.ClientSession
	for i := 0; i < 15 && len(onB) < 2; i++ {
		cs := clusterClient(t, url, "2025-11-25", &clientEvents{})
		if strings.HasPrefix(cs.ID(), "b.") {
			onB = append(onB, cs)
		} else {
			advance()
		}
	}
	if len(onB) < 2 {
		t.Fatalf("only %d sessions were created on node b", len(onB))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, cs := range onB {
		if err := cs.SetLoggingLevel(ctx, &mcp.SetLoggingLevelParams{Level: "error"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := procs[1].cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- procs[1].cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("node b exited with %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("node b did not exit")
	}
	procs[1].cmd = exec.Command("true") // waited already
	_ = procs[1].cmd.Run()
	blog := procs[1].log.String()
	if !strings.Contains(blog, "handed sessions over") {
		t.Fatalf("node b did not hand its sessions over:\n%s", blog)
	}
	t.Logf("node b:\n%s", blog)
	// Adopted by the survivors before any client asked.
	if !strings.Contains(blog, "err=<nil>") {
		t.Fatalf("handover reported an error:\n%s", blog)
	}
	survivors := procs[0].log.String() + procs[2].log.String()
	if got := strings.Count(survivors, "adopted handed-over session"); got < len(onB) {
		t.Fatalf("%d sessions adopted by a and c at handover, want %d:\n%s", got, len(onB), survivors)
	}
	for _, cs := range onB {
		for i := range 3 {
			text := fmt.Sprintf("after drain %d", i)
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": text}})
			if err != nil {
				t.Fatalf("session %s after b stopped: %v", cs.ID(), err)
			}
			if res.Content[0].(*mcp.TextContent).Text != text {
				t.Fatalf("wrong answer %+v", res)
			}
		}
	}
}

// startFront puts a round-robin front before backends: HAProxy with the
// shipped configuration where it is installed, else the Go one. It returns
// the endpoint URL and a function that moves the front on by one backend
// (one request that creates nothing), so the next session starts elsewhere.
// HAProxy checks each backend's /readyz on its admin listener (admins).
func startFront(t *testing.T, backends, admins []string) (string, func()) {
	t.Helper()
	var front string
	if bin := lookBin("haproxy"); bin != "" {
		front, _ = startLB(t, bin, "haproxy", "haproxy.cfg", backends, admins)
	} else {
		t.Log("haproxy is not installed: a Go round-robin front stands in")
		front = startRoundRobin(t, backends...).ln.Addr().String()
	}
	url := "http://" + front + "/mcp"
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	return url, func() {
		// A GET without a session: 405 from any node, nothing created.
		if resp, err := hc.Get(url); err == nil {
			resp.Body.Close()
		}
	}
}
