package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/densemcp/densemcp"
	"github.com/densemcp/densemcp/codec/http1"
)

// --http-stdlib serves Streamable HTTP through net/http (Server.Handler on
// an http.Server) beside or instead of the gnet listeners: the compatible
// path, and the one that speaks TLS (--tls-cert, --tls-key) for deployments
// without a terminating proxy.
func init() {
	var addr, cert, key, endpoint string
	registerServeExtension(serveExtension{
		name: "http-stdlib",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&addr, "http-stdlib", "", "also serve Streamable HTTP through net/http on `ADDR` (the compatible path; HTTPS with --tls-cert and --tls-key)")
			fs.StringVar(&cert, "tls-cert", "", "certificate `FILE` (PEM) for --http-stdlib")
			fs.StringVar(&key, "tls-key", "", "private key `FILE` (PEM) for --http-stdlib")
		},
		servesMCP: func() bool { return addr != "" },
		apply: func(o *densemcp.Options, _ *slog.Logger) error {
			if (cert == "") != (key == "") {
				return errors.New("--tls-cert and --tls-key go together")
			}
			if cert != "" && addr == "" {
				return errors.New("--tls-cert and --tls-key need --http-stdlib")
			}
			endpoint = o.Engine.HTTP.Endpoint
			if endpoint == "" {
				endpoint = "/mcp"
			}
			return nil
		},
		start: func(_ context.Context, s *densemcp.Server, log *slog.Logger) (func(), error) {
			if addr == "" {
				return nil, nil
			}
			return serveStdlib(s, addr, endpoint, cert, key, log)
		},
	})
}

// serveStdlib mounts s.Handler() at endpoint on its own http.Server.
func serveStdlib(s *densemcp.Server, addr, endpoint, cert, key string, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(endpoint, s.Handler())
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    http1.DefaultMaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() {
		var err error
		if cert != "" {
			err = srv.ServeTLS(ln, cert, key)
		} else {
			err = srv.Serve(ln)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("net/http server stopped", "err", err)
		}
	}()
	log.Info("serving MCP through net/http", "addr", ln.Addr().String(), "endpoint", endpoint, "tls", cert != "")
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}
