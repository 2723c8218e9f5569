package tracing_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/densemcp/densemcp"
	"github.com/densemcp/densemcp/ops/tracing"
	"github.com/densemcp/densemcp/router"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

const (
	parentTrace = "0af7651916cd43dd8448eb211c80319c"
	parentSpan  = "b7ad6b7169203331"
	traceparent = "00-" + parentTrace + "-" + parentSpan + "-01"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// newTracedServer serves NDJSON and HTTP with spans going to an in-memory
// exporter. Its "whoami" tool answers with the trace and span ids its
// context carries; "fail" fails.
func newTracedServer(t *testing.T) (exp *tracetest.InMemoryExporter, tcpAddr, httpAddr string) {
	t.Helper()
	exp = tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	s := densemcp.NewServer(densemcp.Implementation{Name: "traced", Version: "1"}, &densemcp.Options{Tracer: tracing.New(tp)})
	for _, inline := range []bool{true, false} {
		name := "whoami"
		if !inline {
			name = "whoami-pooled"
		}
		err := s.AddRawTool(&densemcp.Tool{Name: name, Inline: inline}, func(_ context.Context, req *densemcp.Request, _ json.RawMessage) error {
			sc := trace.SpanContextFromContext(req.Context())
			req.Result.AddText(sc.TraceID().String() + "/" + sc.SpanID().String())
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddRawTool(&densemcp.Tool{Name: "fail", Inline: true}, func(context.Context, *densemcp.Request, json.RawMessage) error {
		return errors.New("failed on purpose")
	}); err != nil {
		t.Fatal(err)
	}
	tcpAddr, httpAddr = freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.ListenAndServe(ctx, tcpAddr, httpAddr) }()
	t.Cleanup(func() { cancel(); <-done })
	deadline := time.Now().Add(10 * time.Second)
	for s.Ready() != nil {
		if time.Now().After(deadline) {
			t.Fatal("server never ready")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return exp, tcpAddr, httpAddr
}

// spanNamed returns the one finished span called name.
func spanNamed(t *testing.T, exp *tracetest.InMemoryExporter, name string) tracetest.SpanStub {
	t.Helper()
	var found []tracetest.SpanStub
	deadline := time.Now().Add(5 * time.Second)
	for {
		found = found[:0]
		for _, s := range exp.GetSpans() {
			if s.Name == name {
				found = append(found, s)
			}
		}
		if len(found) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if len(found) != 1 {
		var names []string
		for _, s := range exp.GetSpans() {
			names = append(names, s.Name)
		}
		t.Fatalf("%d spans named %q; spans: %v", len(found), name, names)
	}
	return found[0]
}

func attrs(s tracetest.SpanStub) map[string]string {
	m := map[string]string{}
	for _, a := range s.Attributes {
		m[string(a.Key)] = a.Value.String()
	}
	return m
}

// check asserts a span's kind, attributes (a "" value: absent) and
// whether its parent is the client's traceparent.
func check(t *testing.T, s tracetest.SpanStub, fromMeta bool, want map[string]string) {
	t.Helper()
	if s.SpanKind != trace.SpanKindServer {
		t.Errorf("%s: kind %v, want server", s.Name, s.SpanKind)
	}
	got := attrs(s)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s = %q, want %q (all: %v)", s.Name, k, got[k], v, got)
		}
	}
	if fromMeta {
		if s.SpanContext.TraceID().String() != parentTrace || s.Parent.SpanID().String() != parentSpan || !s.Parent.IsRemote() {
			t.Errorf("%s: trace %s parent %s (remote %v), want the _meta traceparent's", s.Name, s.SpanContext.TraceID(), s.Parent.SpanID(), s.Parent.IsRemote())
		}
	} else if s.Parent.IsValid() {
		t.Errorf("%s: has parent %s without a traceparent", s.Name, s.Parent.SpanID())
	}
	if s.EndTime.Before(s.StartTime) || s.StartTime.IsZero() {
		t.Errorf("%s: start %v end %v", s.Name, s.StartTime, s.EndTime)
	}
}

// The legacy era over NDJSON: initialize and tools/call spans, the
// parent from _meta's traceparent, the handler's context carrying the
// span (inline and on the worker pool), error.type on a failed tool.
func TestSpansLegacyNDJSON(t *testing.T) {
	exp, tcpAddr, _ := newTracedServer(t)
	c, err := net.Dial("tcp", tcpAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	round := func(line string) string {
		t.Helper()
		if _, err := io.WriteString(c, line+"\n"); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		got, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	round(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	io.WriteString(c, `{"jsonrpc":"2.0","method":"notifications/initialized"}`+"\n")
	meta := `"_meta":{"traceparent":"` + traceparent + `","tracestate":"vendor=1"}`
	inline := round(`{"jsonrpc":"2.0","id":"c1","method":"tools/call","params":{"name":"whoami",` + meta + `}}`)
	pooled := round(`{"jsonrpc":"2.0","id":"c2","method":"tools/call","params":{"name":"whoami-pooled",` + meta + `}}`)
	round(`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"fail"}}`)

	init := spanNamed(t, exp, "initialize")
	check(t, init, false, map[string]string{"mcp.method.name": "initialize", "mcp.protocol.version": "2025-11-25",
		"jsonrpc.request.id": "0", "network.transport": "tcp", "network.protocol.name": "", "error.type": ""})
	call := spanNamed(t, exp, "tools/call whoami")
	check(t, call, true, map[string]string{"mcp.method.name": "tools/call", "gen_ai.tool.name": "whoami",
		"gen_ai.operation.name": "execute_tool", "mcp.protocol.version": "2025-11-25", "jsonrpc.request.id": "c1", "network.transport": "tcp"})
	if call.SpanContext.TraceState().Get("vendor") != "1" {
		t.Errorf("tracestate not continued: %q", call.SpanContext.TraceState().String())
	}
	if want := call.SpanContext.TraceID().String() + "/" + call.SpanContext.SpanID().String(); !strings.Contains(inline, want) {
		t.Errorf("inline handler's context: %s, want the span %s", inline, want)
	}
	pc := spanNamed(t, exp, "tools/call whoami-pooled")
	check(t, pc, true, map[string]string{"gen_ai.tool.name": "whoami-pooled", "jsonrpc.request.id": "c2"})
	if want := pc.SpanContext.TraceID().String() + "/" + pc.SpanContext.SpanID().String(); !strings.Contains(pooled, want) {
		t.Errorf("pooled handler's context: %s, want the span %s", pooled, want)
	}
	fail := spanNamed(t, exp, "tools/call fail")
	check(t, fail, false, map[string]string{"error.type": "tool_error", "jsonrpc.request.id": "3"})
	if fail.Status.Code.String() != "Error" {
		t.Errorf("failed tool span status %v", fail.Status)
	}
}

// The modern era over HTTP: a stateless POST's span continues the
// traceparent in _meta, with the 2026-07-28 protocol version and the http
// protocol name; an unknown tool's span carries its JSON-RPC code.
func TestSpansModernHTTP(t *testing.T) {
	exp, _, httpAddr := newTracedServer(t)
	post := func(id, tool, meta string) string {
		t.Helper()
		body := `{"jsonrpc":"2.0","id":` + id + `,"method":"tools/call","params":{"name":"` + tool + `","_meta":{` + meta +
			`"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}`
		req, _ := http.NewRequest("POST", "http://"+httpAddr+"/mcp", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("MCP-Protocol-Version", "2026-07-28")
		req.Header.Set("Mcp-Method", "tools/call")
		req.Header.Set("Mcp-Name", tool)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return fmt.Sprintf("%d %s", resp.StatusCode, b)
	}
	got := post("7", "whoami", `"traceparent":"`+traceparent+`",`)
	post("8", "nope", "")
	call := spanNamed(t, exp, "tools/call whoami")
	check(t, call, true, map[string]string{"mcp.method.name": "tools/call", "gen_ai.tool.name": "whoami",
		"mcp.protocol.version": "2026-07-28", "jsonrpc.request.id": "7", "network.transport": "tcp",
		"network.protocol.name": "http", "mcp.session.id": ""})
	if want := call.SpanContext.SpanID().String(); !strings.Contains(got, want) {
		t.Errorf("handler's context: %s, want span %s", got, want)
	}
	unknown := spanNamed(t, exp, "tools/call nope")
	check(t, unknown, false, map[string]string{"error.type": "-32602", "gen_ai.tool.name": "nope"})
}

// A legacy HTTP session's spans carry its Mcp-Session-Id.
func TestSpansLegacyHTTPSessionID(t *testing.T) {
	exp, _, httpAddr := newTracedServer(t)
	do := func(sid, body string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("POST", "http://"+httpAddr+"/mcp", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if sid != "" {
			req.Header.Set("Mcp-Session-Id", sid)
			req.Header.Set("MCP-Protocol-Version", "2025-11-25")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	resp := do("", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	sid := resp.Header.Get("Mcp-Session-Id")
	do(sid, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	do(sid, `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
	check(t, spanNamed(t, exp, "tools/list"), false, map[string]string{"mcp.session.id": sid, "mcp.protocol.version": "2025-11-25", "network.protocol.name": "http"})
	check(t, spanNamed(t, exp, "initialize"), false, map[string]string{"mcp.session.id": sid})
}

// NewOTLP exports over OTLP/HTTP: a span ended and flushed arrives at the
// collector's /v1/traces as protobuf, with the service name in it.
func TestOTLPExport(t *testing.T) {
	got := make(chan []byte, 4)
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/v1/traces" && r.Header.Get("Content-Type") == "application/x-protobuf" {
			got <- b
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	}))
	defer collector.Close()
	t.Setenv("OTEL_SERVICE_NAME", "densemcp-under-test")
	tr, shutdown, err := tracing.NewOTLP(context.Background(), collector.URL, "9.9.9")
	if err != nil {
		t.Fatal(err)
	}
	_, sp := tr.Start(context.Background(), &router.SpanStart{Method: "tools/call", Target: "echo", ToolName: "echo", Start: time.Now()})
	sp.End("")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	select {
	case b := <-got:
		for _, want := range []string{"tools/call echo", "gen_ai.tool.name", "densemcp-under-test"} {
			if !bytes.Contains(b, []byte(want)) {
				t.Errorf("exported request lacks %q", want)
			}
		}
	default:
		t.Fatal("nothing reached the collector")
	}
}

// EnvConfigured follows the standard variables.
func TestEnvConfigured(t *testing.T) {
	f := func(want bool, kv ...string) {
		t.Helper()
		for _, k := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER"} {
			t.Setenv(k, "")
		}
		for i := 0; i+1 < len(kv); i += 2 {
			t.Setenv(kv[i], kv[i+1])
		}
		if got := tracing.EnvConfigured(); got != want {
			t.Errorf("%v: %v, want %v", kv, got, want)
		}
	}
	f(false)
	f(true, "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
	f(true, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:4318/v1/traces")
	f(false, "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318", "OTEL_SDK_DISABLED", "true")
	f(false, "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318", "OTEL_TRACES_EXPORTER", "none")
}
