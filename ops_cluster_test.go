package densemcp_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/densemcp/densemcp/ops"
)

// A cluster node's counters reach /metrics: a legacy session opened on
// node a and called through node b is forwarded by b and served by a.
// A server that is no node has no cluster series.
func TestClusterMetrics(t *testing.T) {
	natsURL := startNATS(t)
	a := startClusterNode(t, natsURL, "metrics", "a")
	b := startClusterNode(t, natsURL, "metrics", "b")
	adminA := httptest.NewServer(ops.Handler(a.s))
	defer adminA.Close()
	adminB := httptest.NewServer(ops.Handler(b.s))
	defer adminB.Close()

	sid := openLegacySession(t, a.url, hostOf(a.url))
	resp, body := rawHTTP(t, b.url, post(hostOf(b.url), `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"echo","arguments":{"text":"via b"}}}`,
		"Mcp-Session-Id: "+sid, "MCP-Protocol-Version: 2025-11-25"))
	if resp.StatusCode != 200 || !strings.Contains(body, "via b") {
		t.Fatalf("a call through node b: %d %s", resp.StatusCode, body)
	}
	stA, _ := a.s.ClusterStats()
	stB, _ := b.s.ClusterStats()
	famsA, famsB := scrape(t, adminA.URL+"/metrics"), scrape(t, adminB.URL+"/metrics")
	if got := counterValue(t, famsB, "densemcp_cluster_forwarded_total"); got < 1 || got != float64(stB.Forwarded) {
		t.Errorf("node b forwarded_total %v, its stats %d", got, stB.Forwarded)
	}
	if got := counterValue(t, famsA, "densemcp_cluster_served_total"); got < 1 || got != float64(stA.Served) {
		t.Errorf("node a served_total %v, its stats %d", got, stA.Served)
	}
	for _, name := range []string{"densemcp_cluster_forward_failures_total", "densemcp_cluster_sessions_adopted_total",
		"densemcp_cluster_notifications_sent_total", "densemcp_cluster_notifications_received_total",
		"densemcp_cluster_dropped_total", "densemcp_cluster_nodes_lost_total"} {
		if famsA[name] == nil || famsA[name].GetHelp() == "" {
			t.Errorf("%s: missing or without HELP", name)
		}
	}

	single := newTestServer(t, nil, nil)
	serveTCP(t, single)
	adminSingle := httptest.NewServer(ops.Handler(single))
	defer adminSingle.Close()
	for name := range scrape(t, adminSingle.URL+"/metrics") {
		if strings.HasPrefix(name, "densemcp_cluster_") {
			t.Errorf("%s exported by a server that is no cluster node", name)
		}
	}
}
