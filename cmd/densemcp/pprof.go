package main

import (
	"context"
	"flag"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/densemcp/densemcp"
)

func init() {
	var addr string
	registerServeExtension(serveExtension{
		name: "pprof",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&addr, "pprof", "", "serve net/http/pprof on `ADDR` (a side listener, never the MCP port)")
		},
		start: func(_ context.Context, _ *densemcp.Server, log *slog.Logger) (func(), error) {
			if addr == "" {
				return nil, nil
			}
			return servePprof(addr, log)
		},
	})
}

// servePprof exposes net/http/pprof on its own listener: profiles are never
// reachable on the MCP port.
func servePprof(addr string, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
			log.Error("pprof server stopped", "err", err)
		}
	}()
	log.Info("pprof listening", "addr", ln.Addr().String())
	return func() { _ = srv.Close() }, nil
}
