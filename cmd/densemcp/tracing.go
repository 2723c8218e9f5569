package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/densemcp/densemcp"
	"github.com/densemcp/densemcp/ops/tracing"
)

// tracingFlushTimeout bounds how long stopping waits for the last spans
// to reach the collector.
const tracingFlushTimeout = 5 * time.Second

// OpenTelemetry tracing, off unless an OTLP endpoint is configured by
// --otlp-endpoint or the standard OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT.
func init() {
	var endpoint string
	var shutdown func(context.Context) error
	registerServeExtension(serveExtension{
		name: "tracing",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&endpoint, "otlp-endpoint", "", "export a span per request over OTLP/HTTP to `URL` (e.g. http://127.0.0.1:4318; "+
				"also on when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set)")
		},
		apply: func(o *densemcp.Options, log *slog.Logger) error {
			if endpoint == "" && !tracing.EnvConfigured() {
				return nil
			}
			if endpoint != "" {
				u, err := url.Parse(endpoint)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					return fmt.Errorf("--otlp-endpoint %q: want an http:// or https:// URL such as http://127.0.0.1:4318", endpoint)
				}
			}
			tr, stop, err := tracing.NewOTLP(context.Background(), endpoint, version)
			if err != nil {
				return err
			}
			o.Tracer, shutdown = tr, stop
			log.Info("tracing on: exporting spans over OTLP/HTTP", "endpoint", endpoint)
			return nil
		},
		start: func(context.Context, *densemcp.Server, *slog.Logger) (func(), error) {
			if shutdown == nil {
				return nil, nil
			}
			return func() {
				ctx, cancel := context.WithTimeout(context.Background(), tracingFlushTimeout)
				defer cancel()
				_ = shutdown(ctx)
			}, nil
		},
	})
}
