package tracing_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/densemcp/densemcp"
	"github.com/densemcp/densemcp/ops"
	"github.com/densemcp/densemcp/ops/tracing"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// wrappedListener is a listener the event loops cannot take over (not a
// *net.TCPListener), so ServeListeners serves it through net/http.
type wrappedListener struct{ net.Listener }

// opCount returns the count of the duration series whose labels include
// want (name=value pairs), 0 if none.
func opCount(t *testing.T, adminURL string, want ...string) uint64 {
	t.Helper()
	resp, err := http.Get(adminURL + ops.PathMetrics)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	for _, m := range fams["mcp_server_operation_duration_seconds"].GetMetric() {
		if hasLabels(m, want) {
			n += m.GetHistogram().GetSampleCount()
		}
	}
	return n
}

func hasLabels(m *dto.Metric, want []string) bool {
	got := map[string]string{}
	for _, l := range m.GetLabel() {
		got[l.GetName()] = l.GetValue()
	}
	for i := 0; i+1 < len(want); i += 2 {
		if got[want[i]] != want[i+1] {
			return false
		}
	}
	return true
}

// Requests served through net/http — ServeListeners on a listener the
// loops cannot take, and Server.Handler mounted by the program — are
// counted in /metrics and traced like the loops' HTTP: network.transport
// tcp, network.protocol.name http, the session id of a legacy session.
// Ready follows ServeListeners' http.Server, and counts a mounted Handler
// as serving.
func TestNetHTTPCountedAndTraced(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	s := densemcp.NewServer(densemcp.Implementation{Name: "traced", Version: "1"},
		&densemcp.Options{Tracer: tracing.New(tp), Metrics: true})
	err := s.AddRawTool(&densemcp.Tool{Name: "whoami"}, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
		sc := trace.SpanContextFromContext(req.Context())
		req.Result.AddText(sc.TraceID().String() + "/" + sc.SpanID().String())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	admin := httptest.NewServer(ops.Handler(s))
	defer admin.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String() + "/mcp"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.ServeListeners(ctx, nil, wrappedListener{ln}) }()
	deadline := time.Now().Add(10 * time.Second)
	for s.Ready() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("ServeListeners through net/http never ready: %v", s.Ready())
		}
		time.Sleep(5 * time.Millisecond)
	}

	do := func(url, sid, body string, hdr ...string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if sid != "" {
			req.Header.Set("Mcp-Session-Id", sid)
			req.Header.Set("MCP-Protocol-Version", "2025-11-25")
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	modern := func(url, id string) string {
		t.Helper()
		_, body := do(url, "", `{"jsonrpc":"2.0","id":`+id+`,"method":"tools/call","params":{"name":"whoami","_meta":{"traceparent":"`+traceparent+`",`+
			`"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}`,
			"MCP-Protocol-Version", "2026-07-28", "Mcp-Method", "tools/call", "Mcp-Name", "whoami")
		return body
	}

	got := modern(url, "7")
	call := spanNamed(t, exp, "tools/call whoami")
	check(t, call, true, map[string]string{"mcp.method.name": "tools/call", "gen_ai.tool.name": "whoami",
		"mcp.protocol.version": "2026-07-28", "jsonrpc.request.id": "7", "network.transport": "tcp",
		"network.protocol.name": "http", "mcp.session.id": ""})
	if want := call.SpanContext.SpanID().String(); !strings.Contains(got, want) {
		t.Errorf("handler's context: %s, want span %s", got, want)
	}
	resp, _ := do(url, "", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	sid := resp.Header.Get("Mcp-Session-Id")
	do(url, sid, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	do(url, sid, `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
	check(t, spanNamed(t, exp, "tools/list"), false, map[string]string{"mcp.session.id": sid,
		"mcp.protocol.version": "2025-11-25", "network.transport": "tcp", "network.protocol.name": "http"})

	const m, tool, nt, np = "mcp_method_name", "gen_ai_tool_name", "network_transport", "network_protocol_name"
	if n := opCount(t, admin.URL, m, "tools/call", tool, "whoami", nt, "tcp", np, "http"); n != 1 {
		t.Errorf("tools/call over net/http counted %d times, want 1", n)
	}
	if n := opCount(t, admin.URL, m, "initialize", nt, "tcp", np, "http"); n != 1 {
		t.Errorf("initialize over net/http counted %d times, want 1", n)
	}
	if n := opCount(t, admin.URL, np, ""); n != 0 {
		t.Errorf("%d net/http requests counted as NDJSON", n)
	}
	d := ops.Dashboard(s)
	if d.Total.Sessions != 1 || d.Total.Requests != 3 {
		t.Errorf("dashboard over net/http: %d sessions, %d requests; want 1 and 3", d.Total.Sessions, d.Total.Requests)
	}

	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	if err := s.Ready(); !errors.Is(err, densemcp.ErrNotServing) {
		t.Errorf("Ready after ServeListeners returned: %v", err)
	}

	// The program mounts Handler on a server of its own: the same
	// transport, counted on.
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	if err := s.Ready(); err != nil {
		t.Errorf("Ready with Handler mounted: %v", err)
	}
	modern(ts.URL, "8")
	if n := opCount(t, admin.URL, m, "tools/call", tool, "whoami", nt, "tcp", np, "http"); n != 2 {
		t.Errorf("tools/call through Handler counted to %d, want 2", n)
	}
}
