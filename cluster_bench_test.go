package densemcp_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/densemcp/densemcp"
	"github.com/densemcp/densemcp/cluster/embedded"
)

// processCPU is the process's user and system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkClusterCall is one legacy tools/call at a time on a session held
// by node a, sent to a itself (local) or to b, which forwards it to a over
// NATS (forwarded). Everything runs in this process — both nodes, the NATS
// server and the client — so cpu-µs/op is the whole machine's CPU per call
// and the difference between the two is the forwarding's cost; with
// -cpuprofile the profile shows where it goes.
func BenchmarkClusterCall(b *testing.B) {
	ns, err := embedded.Start("127.0.0.1", 0, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer ns.Shutdown()
	node := func(id string) (*densemcp.Server, string, func()) {
		s := densemcp.NewServer(densemcp.Implementation{Name: "bench", Version: "1"}, &densemcp.Options{
			Cluster: &densemcp.ClusterConfig{URLs: []string{ns.URL()}, Name: "bench", NodeID: id, MemoryStorage: true}})
		err := densemcp.AddTool(s, &densemcp.Tool{Name: "echo", Inline: true}, func(_ context.Context, req *densemcp.Request, in echoIn) (echoOut, error) {
			req.Result.AddText(in.Text)
			return echoOut(in), nil
		})
		if err != nil {
			b.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.ServeHTTP(ctx, addr) }()
		for i := 0; ; i++ {
			if _, ok := s.ClusterStats(); ok {
				break
			}
			if i > 500 {
				b.Fatal("node did not join")
			}
			time.Sleep(10 * time.Millisecond)
		}
		return s, "http://" + addr + "/mcp", func() { cancel(); <-done }
	}
	_, aURL, stopA := node("a")
	defer stopA()
	sb, bURL, stopB := node("b")
	defer stopB()
	c := newLegacyClient(b)
	c.hc = &http.Client{Timeout: 15 * time.Second} // keep-alive: the client's own cost stays small
	c.open(aURL)
	for _, tc := range []struct{ name, url string }{{"local", aURL}, {"forwarded", bURL}} {
		b.Run(tc.name, func(b *testing.B) {
			body := []byte(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}`)
			call := func() {
				req, _ := http.NewRequest("POST", tc.url, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Accept", "application/json, text/event-stream")
				req.Header.Set("Mcp-Session-Id", c.sid)
				req.Header.Set("MCP-Protocol-Version", "2025-11-25")
				resp, err := c.hc.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || !strings.Contains(string(raw), `"text":"hi"`) {
					b.Fatalf("%d %s", resp.StatusCode, raw)
				}
			}
			for range 200 {
				call()
			}
			cpu0 := processCPU()
			b.ResetTimer()
			for range b.N {
				call()
			}
			b.StopTimer()
			b.ReportMetric(float64(processCPU()-cpu0)/float64(time.Microsecond)/float64(b.N), "cpu-µs/op")
		})
	}
	if st, _ := sb.ClusterStats(); st.Forwarded == 0 {
		b.Fatalf("node b forwarded nothing: %+v", st)
	}
}
