// Package tracing is densemcp's OpenTelemetry tracing: a router.Tracer
// that starts one SERVER span per request after the OpenTelemetry MCP
// semantic conventions, continuing the client's trace from the
// traceparent/tracestate in params._meta, and an OTLP/HTTP exporter set up
// from an endpoint or the standard OTEL_* environment variables.
//
// The core only calls router.Tracer; this package, and the OpenTelemetry
// SDK with it, is linked in by whoever sets densemcp.Options.Tracer.
package tracing

import (
	"context"
	"os"
	"strings"

	"github.com/densemcp/densemcp/router"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// tracesPath is where an OTLP/HTTP collector takes traces.
const tracesPath = "/v1/traces"

// ScopeName is the instrumentation scope of densemcp's spans.
const ScopeName = "github.com/densemcp/densemcp"

// Attribute keys of the OpenTelemetry MCP semantic conventions.
const (
	AttrMethod           = "mcp.method.name"
	AttrToolName         = "gen_ai.tool.name"
	AttrPromptName       = "gen_ai.prompt.name"
	AttrOperation        = "gen_ai.operation.name"
	AttrResourceURI      = "mcp.resource.uri"
	AttrProtocolVersion  = "mcp.protocol.version"
	AttrSessionID        = "mcp.session.id"
	AttrRequestID        = "jsonrpc.request.id"
	AttrErrorType        = "error.type"
	AttrNetworkTransport = "network.transport"
	AttrNetworkProtocol  = "network.protocol.name"
)

// Tracer implements router.Tracer on an OpenTelemetry TracerProvider.
type Tracer struct {
	t    trace.Tracer
	prop propagation.TraceContext
}

var _ router.Tracer = (*Tracer)(nil)

// New returns a Tracer whose spans come from tp.
func New(tp trace.TracerProvider) *Tracer {
	return &Tracer{t: tp.Tracer(ScopeName)}
}

// metaCarrier reads the W3C trace context a client put in params._meta.
type metaCarrier struct{ parent, state string }

func (c metaCarrier) Get(key string) string {
	switch key {
	case "traceparent":
		return c.parent
	case "tracestate":
		return c.state
	}
	return ""
}
func (metaCarrier) Set(string, string) {}
func (metaCarrier) Keys() []string     { return []string{"traceparent", "tracestate"} }

// Start implements router.Tracer: a SERVER span named "{method} {target}",
// child of the _meta trace context when there is a valid one.
func (t *Tracer) Start(ctx context.Context, sp *router.SpanStart) (context.Context, router.Span) {
	if sp.TraceParent != "" {
		ctx = t.prop.Extract(ctx, metaCarrier{sp.TraceParent, sp.TraceState})
	}
	name := sp.Method
	if name == "" {
		name = "invalid"
	}
	if sp.Target != "" {
		name += " " + sp.Target
	}
	attrs := make([]attribute.KeyValue, 0, 10)
	add := func(k, v string) {
		if v != "" {
			attrs = append(attrs, attribute.String(k, v))
		}
	}
	add(AttrMethod, sp.Method)
	add(AttrToolName, sp.ToolName)
	if sp.ToolName != "" {
		add(AttrOperation, "execute_tool")
	}
	add(AttrPromptName, sp.PromptName)
	add(AttrResourceURI, sp.ResourceURI)
	add(AttrProtocolVersion, sp.ProtocolVersion)
	add(AttrSessionID, sp.SessionID)
	add(AttrRequestID, sp.RequestID)
	add(AttrNetworkTransport, sp.NetworkTransport)
	add(AttrNetworkProtocol, sp.NetworkProtocol)
	ctx, s := t.t.Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithTimestamp(sp.Start), trace.WithAttributes(attrs...))
	return ctx, span{s}
}

type span struct{ s trace.Span }

// End implements router.Span: an error type marks the span failed.
func (s span) End(errorType string) {
	if errorType != "" {
		s.s.SetAttributes(attribute.String(AttrErrorType, errorType))
		s.s.SetStatus(codes.Error, errorType)
	}
	s.s.End()
}

// EnvConfigured reports whether the standard OTEL_* variables ask for
// trace export: an OTLP endpoint is set, and neither OTEL_SDK_DISABLED nor
// OTEL_TRACES_EXPORTER=none turns it off.
func EnvConfigured() bool {
	if strings.EqualFold(os.Getenv("OTEL_SDK_DISABLED"), "true") || os.Getenv("OTEL_TRACES_EXPORTER") == "none" {
		return false
	}
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// NewOTLP returns a Tracer exporting over OTLP/HTTP in batches, and the
// shutdown that flushes it. endpoint is the collector's base URL
// ("http://collector:4318", to which /v1/traces is added, as for
// OTEL_EXPORTER_OTLP_ENDPOINT) or the full traces URL (ending in
// /v1/traces); "" leaves it to OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT. The exporter and
// resource read the other OTEL_* variables themselves (headers, timeout,
// OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES); the service name defaults
// to "densemcp".
func NewOTLP(ctx context.Context, endpoint, serviceVersion string) (*Tracer, func(context.Context) error, error) {
	var opts []otlptracehttp.Option
	if endpoint != "" {
		if !strings.HasSuffix(endpoint, tracesPath) {
			endpoint = strings.TrimSuffix(endpoint, "/") + tracesPath
		}
		opts = append(opts, otlptracehttp.WithEndpointURL(endpoint))
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, nil, err
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", "densemcp"), attribute.String("service.version", serviceVersion)),
		resource.WithTelemetrySDK(),
		resource.WithFromEnv())
	if err != nil {
		return nil, nil, err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	return New(tp), tp.Shutdown, nil
}
