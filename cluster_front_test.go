package densemcp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/densemcp/densemcp"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The shipped load-balancer configurations (cluster/deploy), run in front
// of three nodes: a legacy session's requests are spread over every node
// and answered; a node that stops is left out and the session goes on.
func TestHAProxyFront(t *testing.T) { testFront(t, "haproxy", "haproxy.cfg") }

func TestNginxFront(t *testing.T) { testFront(t, "nginx", "nginx.conf") }

// lookBin finds an installed load balancer (they live in /usr/sbin).
func lookBin(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if p := filepath.Join("/usr/sbin", name); fileExists(p) {
		return p
	}
	return ""
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func testFront(t *testing.T, kind, file string) {
	bin := lookBin(kind)
	if bin == "" {
		t.Skipf("%s is not installed (Debian: apt-get install %s, or .ci/install-lb.sh): the shipped %s is not exercised; the cluster tests use a Go round-robin front instead", kind, kind, file)
	}
	natsURL := startNATS(t)
	release := make(chan struct{})
	var released bool
	defer func() {
		if !released {
			close(release)
		}
	}()
	started := make(chan struct{}, 1)
	var nodes []*clusterNode
	var admins []string
	for _, id := range []string{"a", "b", "c"} {
		admin := freeAddr(t)
		admins = append(admins, admin)
		nodes = append(nodes, startClusterNodeWith(t, natsURL, "front-"+kind, id, &densemcp.Options{AdminAddr: admin}, func(s *densemcp.Server) {
			err := s.AddRawTool(&densemcp.Tool{Name: "hold"}, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
				started <- struct{}{}
				<-release
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}))
	}
	var backends []string
	for _, n := range nodes {
		backends = append(backends, hostOf(n.url))
	}
	front, lbOut := startLB(t, bin, kind, file, backends, admins)

	cs := clusterClient(t, "http://"+front+"/mcp", "2025-11-25", &clientEvents{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	call := func(text string) {
		t.Helper()
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": text}})
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		if res.IsError || res.Content[0].(*mcp.TextContent).Text != text {
			t.Fatalf("%s: %+v", text, res)
		}
	}
	for i := range 9 {
		call(fmt.Sprintf("call %d", i))
	}
	owner := strings.SplitN(cs.ID(), ".", 2)[0]
	var others []int
	for i, n := range nodes {
		st, _ := n.s.ClusterStats()
		if n.id != owner && st.Forwarded == 0 {
			t.Fatalf("node %s forwarded nothing: the front did not spread the session's requests (%+v)", n.id, st)
		}
		if n.id != owner {
			others = append(others, i)
		}
	}
	if kind == "haproxy" {
		// A node draining (a call still running on it) keeps accepting TCP
		// connections on its MCP port, only to close them; its /readyz says
		// 503, so HAProxy, checking /readyz, takes it out of the pool and no
		// request of the session is sent there meanwhile.
		k := others[0]
		lc := newLegacyClient(t)
		lc.open(nodes[k].url)
		held := make(chan string, 1)
		go func() {
			_, body := lc.post(nodes[k].url, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"hold","arguments":{}}}`)
			held <- body
		}()
		<-started
		shut := make(chan error, 1)
		go func() { shut <- nodes[k].s.Shutdown(context.Background()) }()
		down := fmt.Sprintf("densemcp/n%d is DOWN", k+1)
		waitFor(t, "HAProxy taking the draining node out", func() bool { return strings.Contains(lbOut.String(), down) })
		if !strings.Contains(lbOut.String(), "Layer7") {
			t.Fatalf("HAProxy took the node out, but not for its /readyz:\n%s", lbOut.String())
		}
		for i := range 6 {
			call(fmt.Sprintf("while n%d drains %d", k+1, i))
		}
		close(release)
		released = true
		<-held
		if err := <-shut; err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			call(fmt.Sprintf("after n%d drained %d", k+1, i))
		}
		return
	}
	// A node that is not the session's stops: the front leaves it out.
	if err := nodes[others[0]].stop(); err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		call(fmt.Sprintf("after stop %d", i))
	}
}

// startLB runs load balancer kind (its binary bin) with the shipped
// configuration file, its example addresses replaced by front (picked
// here), backends and their admin listeners (HAProxy checks /readyz
// there), and returns the front's address once it listens, and what the
// balancer writes (HAProxy says there when a server goes down).
func startLB(t *testing.T, bin, kind, file string, backends, admins []string) (string, *syncBuffer) {
	t.Helper()
	conf, err := os.ReadFile(filepath.Join("cluster", "deploy", file))
	if err != nil {
		t.Fatal(err)
	}
	front := freeAddr(t)
	text := strings.ReplaceAll(string(conf), "127.0.0.1:8080", front)
	for i, b := range backends {
		text = strings.ReplaceAll(text, fmt.Sprintf("127.0.0.1:%d", 8081+i), b)
	}
	for i, a := range admins {
		_, port, _ := net.SplitHostPort(a)
		text = strings.ReplaceAll(text, fmt.Sprintf("port %d", 9091+i), "port "+port)
	}
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, file)
	if err := os.WriteFile(cfgPath, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	var cmd *exec.Cmd
	switch kind {
	case "haproxy":
		if out, err := exec.Command(bin, "-c", "-f", cfgPath).CombinedOutput(); err != nil {
			t.Fatalf("haproxy -c: %v\n%s", err, out)
		}
		cmd = exec.Command(bin, "-db", "-f", cfgPath)
	case "nginx":
		cmd = exec.Command(bin, "-c", cfgPath, "-p", dir, "-g", "daemon off; pid "+filepath.Join(dir, "nginx.pid")+"; error_log stderr;")
	}
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group, so its workers go with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("%s output:\n%s", kind, out.String())
		}
	})
	waitFor(t, kind+" listening", func() bool {
		c, err := net.Dial("tcp", front)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	// The health checks see every node up before the test goes on.
	time.Sleep(1500 * time.Millisecond)
	if kind == "haproxy" && strings.Contains(out.String(), " is DOWN") {
		t.Fatalf("HAProxy took a node out at the start:\n%s", out.String())
	}
	return front, out
}
