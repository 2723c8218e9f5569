package densemcp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/densemcp/densemcp"
)

// legacyClient posts legacy (2025-11-25) JSON-RPC requests over HTTP, a
// fresh connection each, to whichever node url names at the time.
type legacyClient struct {
	t   testing.TB
	hc  *http.Client
	sid string
}

func newLegacyClient(t testing.TB) *legacyClient {
	return &legacyClient{t: t, hc: &http.Client{Timeout: 15 * time.Second,
		Transport: &http.Transport{DisableKeepAlives: true}}}
}

// post sends body to url with the session's id (once it has one) and
// returns the status and the body, the JSON of an SSE answer's last event.
func (c *legacyClient) post(url, body string) (int, string) {
	c.t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if c.sid != "" {
		req.Header.Set("Mcp-Session-Id", c.sid)
		req.Header.Set("MCP-Protocol-Version", "2025-11-25")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if c.sid == "" {
		c.sid = resp.Header.Get("Mcp-Session-Id")
	}
	text := string(raw)
	if i := strings.LastIndex(text, "data: "); i >= 0 {
		text = strings.TrimSpace(text[i+len("data: "):])
	}
	return resp.StatusCode, text
}

// open runs the handshake on url.
func (c *legacyClient) open(url string) {
	c.t.Helper()
	status, body := c.post(url, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`)
	if status != 200 || c.sid == "" {
		c.t.Fatalf("initialize: %d sid=%q %s", status, c.sid, body)
	}
	if status, body = c.post(url, `{"jsonrpc":"2.0","method":"notifications/initialized"}`); status != 202 {
		c.t.Fatalf("initialized: %d %s", status, body)
	}
}

// echo calls the echo tool through url and checks the answer.
func (c *legacyClient) echo(url string, id int, text string) {
	c.t.Helper()
	status, body := c.post(url, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"echo","arguments":{"text":%q}}}`, id, text))
	var a struct {
		Result *struct {
			Content []struct{ Text string } `json:"content"`
		} `json:"result"`
	}
	if status != 200 || json.Unmarshal([]byte(body), &a) != nil || a.Result == nil || len(a.Result.Content) == 0 || a.Result.Content[0].Text != text {
		c.t.Fatalf("echo %q through %s: %d %s", text, url, status, body)
	}
}

// Server.Shutdown on a cluster node hands its legacy sessions to the
// others once the calls in flight are answered, before its loops stop:
// the other node has adopted the session before any client asks it, and
// the session goes on there.
func TestClusterShutdownHandsSessionsOver(t *testing.T) {
	natsURL := startNATS(t)
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	hold := func(s *densemcp.Server) {
		err := s.AddRawTool(&densemcp.Tool{Name: "hold"}, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
			started <- struct{}{}
			<-release
			req.Result.AddText("held")
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	a := startClusterNodeWith(t, natsURL, "shutdown", "a", nil, hold)
	b := startClusterNodeWith(t, natsURL, "shutdown", "b", nil, hold)
	// Each node has heard the other's heartbeat.
	waitFor(t, "the nodes know each other", func() bool {
		sa, _ := a.s.ClusterStats()
		sb, _ := b.s.ClusterStats()
		return sa.Peers == 1 && sb.Peers == 1
	})

	c := newLegacyClient(t)
	c.open(a.url)
	if !strings.HasPrefix(c.sid, "a.") {
		t.Fatalf("session %q does not name node a", c.sid)
	}
	if status, body := c.post(a.url, `{"jsonrpc":"2.0","id":2,"method":"logging/setLevel","params":{"level":"error"}}`); status != 200 || !strings.Contains(body, `"result"`) {
		t.Fatalf("logging/setLevel: %d %s", status, body)
	}
	c.echo(a.url, 3, "before")

	// A call in flight when the drain begins is answered first.
	held := make(chan string, 1)
	go func() {
		_, body := c.post(a.url, `{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"hold","arguments":{}}}`)
		held <- body
	}()
	<-started
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		shut <- a.s.Shutdown(ctx)
	}()
	waitFor(t, "node a draining", func() bool { e := densemcp.LiveEngine(a.s); return e == nil || e.Draining() })
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned (%v) while a call was in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	if st, _ := b.s.ClusterStats(); st.Adopted != 0 {
		t.Fatalf("node b adopted a session before node a's calls ended: %+v", st)
	}
	close(release)
	if body := <-held; !strings.Contains(body, "held") {
		t.Fatalf("the call in flight during the drain: %s", body)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	// Adopted at the hand-over, before any client asked node b.
	st, _ := b.s.ClusterStats()
	if st.Adopted != 1 || st.HandoversIn != 1 {
		t.Fatalf("node b after a's Shutdown: %+v, want the session adopted by hand-over", st)
	}
	for i := range 3 {
		c.echo(b.url, 10+i, fmt.Sprintf("after %d", i))
	}
	if st, _ = b.s.ClusterStats(); st.Forwarded != 0 {
		t.Fatalf("node b forwarded %d requests: the session should live there", st.Forwarded)
	}
}

// A drain whose budget runs out (a call cut off) still hands the sessions
// over before the node stops.
func TestClusterShutdownPastBudgetHandsSessionsOver(t *testing.T) {
	natsURL := startNATS(t)
	release := make(chan struct{})
	defer close(release)
	started := make(chan struct{}, 1)
	a := startClusterNodeWith(t, natsURL, "cutoff", "a", nil, func(s *densemcp.Server) {
		err := s.AddRawTool(&densemcp.Tool{Name: "hold"}, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
			started <- struct{}{}
			select {
			case <-release:
			case <-req.Context().Done():
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	b := startClusterNode(t, natsURL, "cutoff", "b")
	waitFor(t, "the nodes know each other", func() bool {
		sa, _ := a.s.ClusterStats()
		sb, _ := b.s.ClusterStats()
		return sa.Peers == 1 && sb.Peers == 1
	})
	c := newLegacyClient(t)
	c.open(a.url)
	held := make(chan string, 1)
	go func() {
		_, body := c.post(a.url, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"hold","arguments":{}}}`)
		held <- body
	}()
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := a.s.Shutdown(ctx); err == nil {
		t.Fatal("Shutdown past its budget returned nil")
	}
	if body := <-held; !strings.Contains(body, `"error"`) {
		t.Fatalf("the call cut off: %s", body)
	}
	if st, _ := b.s.ClusterStats(); st.HandoversIn != 1 {
		t.Fatalf("node b after a's cut-off drain: %+v, want the session handed over", st)
	}
	c.echo(b.url, 3, "after the cut-off drain")
}
