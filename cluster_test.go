//lint:file-ignore SA1019 legacy sessions' logging (deprecated in 2026-07-28) is part of the durable state these tests carry across nodes

package densemcp_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/densemcp/densemcp"
	"github.com/densemcp/densemcp/cluster/embedded"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// startNATS runs an embedded NATS server (JetStream on) for one test.
func startNATS(t *testing.T) string {
	t.Helper()
	ns, err := embedded.Start("127.0.0.1", 0, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	return ns.URL()
}

// clusterNode is one in-process node: a feature server joined to the
// cluster at natsURL, serving HTTP.
type clusterNode struct {
	id   string
	s    *densemcp.Server
	url  string
	stop func() error // idempotent after the first call: the node has left
}

func startClusterNode(t *testing.T, natsURL, name, id string) *clusterNode {
	t.Helper()
	return startClusterNodeWith(t, natsURL, name, id, nil, func(s *densemcp.Server) {
		if err := s.AddResource(&densemcp.Resource{URI: "test://text", Name: "text", Inline: true},
			func(_ context.Context, req *densemcp.Request, uri string, _ map[string]string) ([]densemcp.ResourceContents, error) {
				return []densemcp.ResourceContents{densemcp.TextContents(uri, "text/plain", "from "+id)}, nil
			}); err != nil {
			t.Fatal(err)
		}
	})
}

// startClusterNodeWith is startClusterNode with options of the test's own
// (their Cluster is set here; nil: defaults) and its own setup.
func startClusterNodeWith(t *testing.T, natsURL, name, id string, opts *densemcp.Options, setup func(s *densemcp.Server)) *clusterNode {
	t.Helper()
	if opts == nil {
		opts = &densemcp.Options{}
	}
	opts.Cluster = &densemcp.ClusterConfig{
		URLs: []string{natsURL}, Name: name, NodeID: id, MemoryStorage: true,
		Heartbeat: 100 * time.Millisecond, DeadAfter: time.Second,
	}
	s := newTestServer(t, opts, setup)
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.ListenAndServeHTTP(ctx, addr) }()
	var once sync.Once
	var stopErr error
	n := &clusterNode{id: id, s: s, url: "http://" + addr + "/mcp", stop: func() error {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil && !errors.Is(err, context.Canceled) {
					stopErr = err
				}
			case <-time.After(15 * time.Second):
				stopErr = errors.New("node did not stop")
			}
		})
		return stopErr
	}}
	t.Cleanup(func() {
		if err := n.stop(); err != nil {
			t.Errorf("node %s: %v", id, err)
		}
	})
	waitFor(t, "node "+id+" joined", func() bool { _, ok := s.ClusterStats(); return ok })
	return n
}

// roundRobin is a TCP front that sends each new connection to the next
// backend in turn, like a layer-4 load balancer without stickiness (the
// fallback where HAProxy is not installed).
type roundRobin struct {
	ln       net.Listener
	backends []string
	next     atomic.Uint64
	hits     []atomic.Int64
}

func startRoundRobin(t *testing.T, backends ...string) *roundRobin {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rr := &roundRobin{ln: ln, backends: backends, hits: make([]atomic.Int64, len(backends))}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			first := int(rr.next.Add(1)-1) % len(backends)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				// A backend that refuses is skipped, as a balancer's health
				// check would.
				var b net.Conn
				for k := range backends {
					i := (first + k) % len(backends)
					if b, err = net.Dial("tcp", backends[i]); err == nil {
						rr.hits[i].Add(1)
						break
					}
				}
				if b == nil {
					return
				}
				defer b.Close()
				done := make(chan struct{}, 2)
				go func() { _, _ = io.Copy(b, c); done <- struct{}{} }()
				go func() { _, _ = io.Copy(c, b); done <- struct{}{} }()
				<-done
			}()
		}
	}()
	return rr
}

func hostOf(url string) string { return url[len("http://") : len(url)-len("/mcp")] }

// clusterClient connects the SDK over a fresh connection per request
// (no keep-alive), so a round-robin front spreads its requests.
func clusterClient(t *testing.T, url, pv string, ev *clientEvents) *mcp.ClientSession {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "cluster-test", Version: "1"}, &mcp.ClientOptions{
		ToolListChangedHandler: func(ctx context.Context, r *mcp.ToolListChangedRequest) {
			ev.mu.Lock()
			ev.listTools++
			ev.mu.Unlock()
		},
		ResourceUpdatedHandler: func(ctx context.Context, r *mcp.ResourceUpdatedNotificationRequest) {
			ev.mu.Lock()
			ev.updated = append(ev.updated, r.Params.URI)
			ev.mu.Unlock()
		},
		LoggingMessageHandler: func(ctx context.Context, r *mcp.LoggingMessageRequest) {
			ev.mu.Lock()
			ev.logs = append(ev.logs, string(r.Params.Level))
			ev.mu.Unlock()
		},
	})
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: url, HTTPClient: hc, MaxRetries: 5},
		&mcp.ClientSessionOptions{ProtocolVersion: pv})
	if err != nil {
		t.Fatalf("connect (%q) through %s: %v", pv, url, err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// A legacy session used through a round-robin front over three nodes: its
// requests land on every node and are forwarded to the one holding it; a
// resource update and a list change raised on any node reach it.
func TestClusterLegacySessionThroughRoundRobin(t *testing.T) {
	natsURL := startNATS(t)
	var nodes []*clusterNode
	var backends []string
	for _, id := range []string{"a", "b", "c"} {
		n := startClusterNode(t, natsURL, "legacy", id)
		nodes = append(nodes, n)
		backends = append(backends, hostOf(n.url))
	}
	rr := startRoundRobin(t, backends...)
	ev := &clientEvents{}
	cs := clusterClient(t, "http://"+rr.ln.Addr().String()+"/mcp", "2025-11-25", ev)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	for i := range 12 {
		text := fmt.Sprintf("call %d", i)
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": text}})
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if res.IsError || res.Content[0].(*mcp.TextContent).Text != text {
			t.Fatalf("call %d: %+v", i, res)
		}
	}
	for i := range rr.hits {
		if rr.hits[i].Load() == 0 {
			t.Fatalf("node %s got no connection from the front", nodes[i].id)
		}
	}
	forwarded := 0
	for _, n := range nodes {
		st, _ := n.s.ClusterStats()
		if st.Forwarded > 0 {
			forwarded++
		}
	}
	for _, n := range nodes {
		st, _ := n.s.ClusterStats()
		t.Logf("node %s: %+v", n.id, st)
	}
	if forwarded < 2 {
		t.Fatalf("requests were forwarded by %d nodes, want the two that do not hold the session", forwarded)
	}

	// A subscription made through one node; the update raised on each node
	// in turn reaches the session wherever it lives.
	if err := cs.Subscribe(ctx, &mcp.SubscribeParams{URI: "test://text"}); err != nil {
		t.Fatal(err)
	}
	for i, n := range nodes {
		last := time.Now()
		n.s.ResourceUpdated("test://text")
		waitFor(t, "update raised on node "+n.id, func() bool {
			if time.Since(last) > 300*time.Millisecond {
				last = time.Now()
				n.s.ResourceUpdated("test://text")
			}
			return len(ev.snapshot().updated) > i
		})
	}
	// A tool added on node b is announced to the session.
	err := densemcp.AddTool(nodes[1].s, &densemcp.Tool{Name: "added", Inline: true}, func(_ context.Context, req *densemcp.Request, in echoIn) (any, error) { return nil, nil })
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "tools list_changed from node b", func() bool { return ev.snapshot().listTools >= 1 })
}

// A modern subscriptions/listen stream on node c hears a resource update
// and a list change raised on node a.
func TestClusterModernListenHearsOtherNodes(t *testing.T) {
	natsURL := startNATS(t)
	a := startClusterNode(t, natsURL, "modern", "a")
	c := startClusterNode(t, natsURL, "modern", "c")
	ev := &clientEvents{}
	cs := clusterClient(t, c.url, "", ev)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := cs.Subscribe(ctx, &mcp.SubscribeParams{URI: "test://text"}); err != nil {
		t.Fatal(err)
	}
	last := time.Now()
	a.s.ResourceUpdated("test://text")
	waitFor(t, "update raised on node a heard on c", func() bool {
		if time.Since(last) > 300*time.Millisecond {
			last = time.Now()
			a.s.ResourceUpdated("test://text")
		}
		return len(ev.snapshot().updated) >= 1
	})
	for _, u := range ev.snapshot().updated {
		if u != "test://text" {
			t.Fatalf("update for %q", u)
		}
	}
	// A requestState sealed on one node opens on another: the nodes share
	// the cluster's key. Shown by any call answered by both.
	st, _ := a.s.ClusterStats()
	if st.NotifySent == 0 {
		t.Fatalf("node a published no change: %+v", st)
	}
}
